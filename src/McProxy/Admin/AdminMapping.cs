using McProxy.Client.V1;
using McProxy.Config;
using McProxy.Store;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Admin;

/// <summary>Store records to API messages.</summary>
internal static class AdminMapping
{
    public static Route ToMessage(StoredRoute route, string listenerAddr, IEnumerable<StoredL7Policy> policies)
    {
        var message = new Route
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

    public static L7Policy ToMessage(StoredL7Policy policy) => new() { Type = policy.Type, Value = policy.Value };

    public static FirewallRule ToMessage(StoredFirewallRule rule) => new() { Type = rule.Type, Value = rule.Value };
}
