using System.Net;
using System.Net.Sockets;

namespace McProxy.Net;

/// <summary>
/// Strict parsing of the addresses, CIDRs and country codes an operator writes (config, firewall rules, admin API). Stricter than <see cref="IPAddress.TryParse(string, out IPAddress)"/>,
/// which takes "1.2.3" as 1.2.0.3: a typo in a block list must be an error, not a rule for another address.
/// </summary>
internal static class IpRanges
{
    /// <summary>An address or CIDR into an <see cref="IPNetwork"/>; a bare address is a /32 or /128; host bits must be zero.</summary>
    public static bool TryParse(string text, out IPNetwork network)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!TryParseAddress(addressText, out var address))
        {
            return false;
        }

        var maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = maxPrefix;
        if (slash >= 0)
        {
            var prefixText = text.AsSpan(slash + 1);
            if (prefixText.IsEmpty || prefixText.Length > 3 || prefixText.ContainsAnyExceptInRange('0', '9') || !int.TryParse(prefixText, out prefix) || prefix > maxPrefix)
            {
                return false;
            }
        }

        network = new IPNetwork(ClearHostBits(address, prefix), prefix);
        return network.BaseAddress.Equals(address);
    }

    /// <summary>A CIDR with its prefix written out ("203.0.113.0/24"), as a firewall rule takes it; host bits must be zero.</summary>
    public static bool TryParseCidr(string text, out IPNetwork network)
    {
        network = default;
        return text.Contains('/', StringComparison.Ordinal) && TryParse(text, out network);
    }

    /// <summary>An ISO 3166-1 alpha-2 country code, upper-cased ("cn" becomes "CN").</summary>
    public static bool TryParseCountry(string text, out string code)
    {
        var valid = text.Length == 2 && char.IsAsciiLetter(text[0]) && char.IsAsciiLetter(text[1]);
        code = valid ? text.ToUpperInvariant() : "";
        return valid;
    }

    /// <summary>A dotted-quad IPv4 address or an IPv6 address; an IPv4-mapped IPv6 address becomes its IPv4 address.</summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        var isV6 = text.Contains(':', StringComparison.Ordinal);
        if (!isV6 && (text.Count(c => c == '.') != 3 || !text.All(c => char.IsAsciiDigit(c) || c == '.')))
        {
            return false;
        }

        if (!IPAddress.TryParse(text, out var parsed) || (isV6 && parsed.ScopeId != 0))
        {
            return false;
        }

        address = Normalize(parsed);
        return true;
    }

    /// <summary>An IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer) is treated as the IPv4 address.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IPAddress ClearHostBits(IPAddress address, int prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        bytes = bytes[..length];
        for (var i = 0; i < bytes.Length; i++)
        {
            var bitsKept = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bitsKept));
        }

        return new IPAddress(bytes);
    }
}
