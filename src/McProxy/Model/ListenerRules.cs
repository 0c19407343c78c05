using McProxy.Net;

namespace McProxy.Model;

/// <summary>The rules a listener obeys: its address, who may send it PROXY headers, and its default route's name.</summary>
internal static class ListenerRules
{
    /// <summary>"[ipv6]:port" is under 50 characters; anything longer is not an address.</summary>
    public const int MaxAddrLength = 64;

    /// <summary>The errors of a listener's own keys (its routes are checked by <see cref="RouteRules"/>).</summary>
    public static List<RuleError> Check(string addr, bool proxyProtocol, IReadOnlyList<string> trustedProxies, string? defaultRoute)
    {
        var errors = new List<RuleError>();
        if (addr.Length > MaxAddrLength)
        {
            errors.Add(new RuleError("addr", $"{RuleText.Quote(addr)} is {addr.Length} characters long; an address is at most {MaxAddrLength}"));
        }
        else if (addr.Length > 0 && !ListenAddress.TryParse(addr, out _, out var addrError))
        {
            errors.Add(new RuleError("addr", addrError));
        }

        for (var i = 0; i < trustedProxies.Count; i++)
        {
            var proxy = trustedProxies[i];
            if (proxy.Length > FirewallRules.MaxValueLength || !IpRanges.TryParse(proxy, out _))
            {
                errors.Add(new RuleError($"trusted_proxies[{i}]", $"{RuleText.Quote(proxy)} is not an IP address or CIDR"));
            }
        }

        if (proxyProtocol && trustedProxies.Count == 0)
        {
            errors.Add(new RuleError("trusted_proxies", "is required when proxy_protocol = true (say who may send PROXY headers)"));
        }

        if (defaultRoute is not null && RouteRules.Hostname(defaultRoute, "default_route") is { } hostname)
        {
            errors.Add(hostname);
        }

        return errors;
    }
}
