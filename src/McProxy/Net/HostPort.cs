using System.Net;

namespace McProxy.Net;

/// <summary>A "host:port" pair; the host is an IP literal (IPv6 in brackets), a DNS name, or empty for all interfaces.</summary>
internal readonly record struct HostPort(string Host, int Port)
{
    public static bool TryParse(string text, bool allowEmptyHost, out HostPort value, out string error)
    {
        value = default;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "must be host:port";
            return false;
        }

        string host;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"{RuleText.Quote(text)} is not [ipv6]:port";
                return false;
            }

            host = text[1..close];
            portText = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"{RuleText.Quote(host)} is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"{RuleText.Quote(text)} is not host:port (IPv6 addresses go in brackets)";
                return false;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (host.Length == 0 && !allowEmptyHost)
        {
            error = $"{RuleText.Quote(text)} has no host";
            return false;
        }

        if (host.Length > 0 && !IPAddress.TryParse(host, out _) && !Hostnames.IsValidDnsName(host))
        {
            error = $"{RuleText.Quote(host)} is neither an IP address nor a DNS name";
            return false;
        }

        if (!int.TryParse(portText, System.Globalization.NumberStyles.None, null, out var port) || port > 65535)
        {
            error = $"port {RuleText.Quote(portText)} is not a number from 0 to 65535";
            return false;
        }

        value = new HostPort(host, port);
        return true;
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
