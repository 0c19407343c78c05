using System.Net;
using McProxy.Model;
using McProxy.Net;
using McProxy.Routing.Pools;

namespace McProxy.Routing;

/// <summary>
/// A route as the hot path uses it: immutable, with its backends parsed once into a <see cref="BackendPool"/>. Built
/// before a route is committed, so a backend that does not parse refuses the change before anything is written.
/// </summary>
internal sealed class RouteEntry
{
    /// <summary>A route whose members are never marked down (no health checks), all enabled.</summary>
    public RouteEntry(RouteSettings route)
        : this(route, HealthPolicy.None, previous: null)
    {
    }

    /// <summary>
    /// A route whose members move by <paramref name="health"/>. A member of <paramref name="previous"/> (the route this
    /// one replaces) with the same address and policy is kept as it is, with its admin state, health and active
    /// connections, so a route update neither resets a drain nor forgets that a backend is down. New members start
    /// enabled, or in <paramref name="adminStates"/>' state for their address (the store's, at load). A new member
    /// raises its health changes to <paramref name="healthChanged"/> (the log line).
    /// </summary>
    public RouteEntry(RouteSettings route, HealthPolicy health, RouteEntry? previous, IReadOnlyDictionary<string, BackendAdminState>? adminStates = null,
        Action<HealthTransition>? healthChanged = null)
    {
        Route = route;
        var members = new PoolMember[route.Backends.Count];
        for (var i = 0; i < members.Length; i++)
        {
            var text = route.Backends[i];
            if (!HostPort.TryParse(text, allowEmptyHost: false, out var address, out var error))
            {
                throw new ArgumentException($"route {route.Hostname}: backend {error}", nameof(route));
            }

            var kept = previous?.FindBackend(address);
            if (kept is not null && kept.Policy == health)
            {
                members[i] = kept;
                continue;
            }

            members[i] = new PoolMember(address, health, healthChanged);
            if (adminStates is not null && adminStates.TryGetValue(text, out var state))
            {
                members[i].SetAdminState(state);
            }
            else if (kept is not null)
            {
                // A new health policy starts health afresh, but the operator's drain stays: the store keeps it too.
                members[i].SetAdminState(kept.AdminState);
            }
        }

        Pool = new BackendPool(members, route.Balance);
    }

    public RouteSettings Route { get; }

    public string Hostname => Route.Hostname;

    public RouteMode Mode => Route.Mode;

    /// <summary>The route's backends and how to choose among them.</summary>
    public BackendPool Pool { get; }

    /// <summary>The first backend's address: the only one of a single-backend route.</summary>
    public EndPoint BackendEndPoint => Pool.Members[0].EndPoint;

    public bool IsWildcard => Route.Hostname.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>
    /// <paramref name="member"/>'s address as the route's backends write it (the pool's members are in their order), or
    /// its parsed address when it is not (or no longer) a member of this route.
    /// </summary>
    public string AddressOf(PoolMember member)
    {
        var index = Pool.Members.IndexOf(member);
        return index >= 0 ? Route.Backends[index] : member.Address.ToString();
    }

    /// <summary>
    /// The member at <paramref name="address"/>, or null. Same backend as the pool rules judge it
    /// (<see cref="RouteRules.SameBackendKey(HostPort)"/>): a DNS name without case, an IP literal by its address, so an operator's
    /// "[0:0::1]:80" finds the route's "[::1]:80".
    /// </summary>
    public PoolMember? FindBackend(HostPort address)
    {
        string? key = null;
        foreach (var member in Pool.Members)
        {
            if (member.Address.Port == address.Port && RouteRules.SameBackendKey(member.Address) == (key ??= RouteRules.SameBackendKey(address)))
            {
                return member;
            }
        }

        return null;
    }
}
