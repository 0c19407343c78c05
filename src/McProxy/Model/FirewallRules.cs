using McProxy.Net;

namespace McProxy.Model;

/// <summary>
/// The rules a firewall rule obeys, from [firewall] (blocked_ips, blocked_cidrs, blocked_countries) or the admin API:
/// an IP address, a CIDR with its prefix and zero host bits, or an ISO 3166-1 alpha-2 country code, each normalised as
/// the rule set matches it.
/// </summary>
internal static class FirewallRules
{
    public const string Ip = "ip";
    public const string Cidr = "cidr";
    public const string Country = "country";

    /// <summary>The longest text of any valid value: a full IPv6 address with an IPv4 tail and "/128" is under 50.</summary>
    public const int MaxValueLength = 64;

    /// <summary>The rule's value normalised ("::ffff:192.0.2.1" is "192.0.2.1", "cn" is "CN"), or null with the error on "type" or "value".</summary>
    public static string? Normalize(string type, string value, out RuleError? error)
    {
        error = null;
        if (type is not (Ip or Cidr or Country))
        {
            error = new RuleError("type", type.Length == 0 ? "is required" : $"{RuleText.Quote(type)} is not \"ip\", \"cidr\" or \"country\"");
            return null;
        }

        if (value.Length == 0)
        {
            error = new RuleError("value", "is required");
            return null;
        }

        if (value.Length > MaxValueLength)
        {
            error = new RuleError("value", $"{RuleText.Quote(value)} is {value.Length} characters long; no {type} is longer than {MaxValueLength}");
            return null;
        }

        switch (type)
        {
            case Ip when IpRanges.TryParseAddress(value, out var address):
                return address.ToString();
            case Ip:
                error = new RuleError("value", $"{RuleText.Quote(value)} is not an IP address");
                return null;
            case Cidr when IpRanges.TryParseCidr(value, out var network):
                return network.ToString();
            case Cidr:
                error = new RuleError("value", $"{RuleText.Quote(value)} is not a CIDR such as \"203.0.113.0/24\" or \"2001:db8::/32\" (host bits must be zero)");
                return null;
            default:
                if (IpRanges.TryParseCountry(value, out var country))
                {
                    return country;
                }

                error = new RuleError("value", $"{RuleText.Quote(value)} is not an ISO 3166-1 alpha-2 country code such as \"CN\"");
                return null;
        }
    }
}
