using McProxy.Model;
using McProxy.Routing;
using McProxy.Routing.Pools;
using BackendStatusMessage = McProxy.Client.V1.BackendStatus;
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
            Balance = RouteRules.BalanceName(route.Balance),
            HealthCheck = route.HealthCheck.ToString(),
        };
        message.Backends.AddRange(route.Backends);
        message.L7Policies.AddRange(policies.Select(ToMessage));
        return message;
    }

    /// <summary>A live route, with each backend's status from the pool the data path picks from.</summary>
    public static RouteMessage ToMessage(RouteEntry entry, string listenerAddr, IEnumerable<L7Policy> policies)
    {
        var message = ToMessage(entry.Route, listenerAddr, policies);
        var members = entry.Pool.Members;
        for (var i = 0; i < members.Length; i++)
        {
            message.BackendStatus.Add(ToMessage(members[i], entry.Route.Backends[i]));
        }

        return message;
    }

    /// <summary>A member's status, named by <paramref name="address"/> as written in the route's backends.</summary>
    public static BackendStatusMessage ToMessage(PoolMember member, string address) => new()
    {
        Address = address,
        AdminState = BackendAdminStates.Name(member.AdminState),
        Healthy = member.IsUp,
        ActiveConnections = member.ActiveConnections,
        FailedConnects = member.FailedConnects,
    };

    public static L7PolicyMessage ToMessage(L7Policy policy) => new() { Type = policy.Type, Value = policy.Value };

    public static FirewallRuleMessage ToMessage(FirewallRule rule) => new() { Type = rule.Type, Value = rule.Value };
}
