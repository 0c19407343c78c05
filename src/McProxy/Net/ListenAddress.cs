using System.Net;

namespace McProxy.Net;

/// <summary>A listener's bind address. ":443" is every interface, IPv6 and IPv4 on one dual-stack socket.</summary>
internal static class ListenAddress
{
    public static bool TryParse(string text, out IPEndPoint endPoint, out string error)
    {
        endPoint = new IPEndPoint(IPAddress.IPv6Any, 0);
        if (!HostPort.TryParse(text, allowEmptyHost: true, out var hostPort, out error))
        {
            return false;
        }

        if (hostPort.Host.Length == 0)
        {
            endPoint = new IPEndPoint(IPAddress.IPv6Any, hostPort.Port);
            return true;
        }

        if (hostPort.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            endPoint = new IPEndPoint(IPAddress.Loopback, hostPort.Port);
            return true;
        }

        if (!IPAddress.TryParse(hostPort.Host, out var address))
        {
            error = $"{RuleText.Quote(hostPort.Host)} must be an IP address (or empty, for all interfaces)";
            return false;
        }

        endPoint = new IPEndPoint(address, hostPort.Port);
        return true;
    }
}
