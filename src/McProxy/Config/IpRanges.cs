using System.Net;

namespace McProxy.Config;

/// <summary>Parses an address or CIDR into an <see cref="IPNetwork"/>; a bare address is a /32 or /128.</summary>
internal static class IpRanges
{
    public static bool TryParse(string text, out IPNetwork network)
    {
        if (text.Contains('/', StringComparison.Ordinal))
        {
            if (IPNetwork.TryParse(text, out network))
            {
                return true;
            }

            return false;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            address = Normalize(address);
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        network = default;
        return false;
    }

    /// <summary>An IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer) is treated as the IPv4 address.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
