using McProxy.Model;
using FirewallRuleMessage = McProxy.Client.V1.FirewallRule;
using L7PolicyMessage = McProxy.Client.V1.L7Policy;
using RouteMessage = McProxy.Client.V1.Route;

namespace McProxy.Admin;

/// <summary>Model types to API messages and back.</summary>
internal static class AdminMapping
{
    public static RouteMessage ToMessage(RouteSettings route, string listenerAddr, IEnumerable<L7Policy> policies)
    {
        var message = new RouteMessage
        {
            ListenerAddr = listenerAddr,
            Hostname = route.Hostname,
            Backend = route.Backend,
            Mode = route.Mode == RouteMode.L7 ? "l7" : "l4",
            TlsCert = route.TlsCert,
            TlsKey = route.TlsKey,
            BackendTls = route.BackendTls,
            BackendCa = route.BackendCa,
            BackendH2C = route.BackendH2c,
            SendProxyProtocol = route.SendProxyProtocol,
        };
        message.L7Policies.AddRange(policies.Select(ToMessage));
        return message;
    }

    public static L7PolicyMessage ToMessage(L7Policy policy) => new() { Type = policy.Type, Value = policy.Value };

    public static FirewallRuleMessage ToMessage(FirewallRule rule) => new() { Type = rule.Type, Value = rule.Value };
}
