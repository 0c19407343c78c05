namespace McProxy.Net;

/// <summary>Hostname helpers shared by the config, the store and the route table; a route hostname's rule is Model.RouteRules.Hostname.</summary>
internal static class Hostnames
{
    /// <summary>RFC 1035 limit on a name's length in its text form.</summary>
    public const int MaxLength = 253;

    /// <summary>A DNS name of letters, digits, '-' and '_' in dot-separated labels of 1–63 characters.</summary>
    public static bool IsValidDnsName(ReadOnlySpan<char> name)
    {
        if (name.Length == 0 || name.Length > MaxLength)
        {
            return false;
        }

        var labelLength = 0;
        foreach (var c in name)
        {
            if (c == '.')
            {
                if (labelLength == 0)
                {
                    return false;
                }

                labelLength = 0;
                continue;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_') || ++labelLength > 63)
            {
                return false;
            }
        }

        return labelLength > 0;
    }

    /// <summary>Hostnames are stored and matched in lower case, without a trailing dot.</summary>
    public static string Normalize(string hostname) => hostname.TrimEnd('.').ToLowerInvariant();
}
