using McProxy.Model;

namespace McProxy.Routing;

/// <summary>
/// What a listener routes by at one moment: its route table and the L7 policies of those routes, together.
/// Immutable: a change builds a new snapshot and swaps it in whole (<see cref="ListenerState.Snapshot"/>), so one
/// read gives a route table and the policies that belong to it, never one from before a change and one from after.
/// </summary>
internal sealed class ListenerSnapshot(RouteTable routes, L7PolicyTable policies)
{
    public static readonly ListenerSnapshot Empty = new(RouteTable.Empty, L7PolicyTable.Empty);

    public RouteTable Routes { get; } = routes;

    /// <summary>The L7 policies of this listener's routes, by route hostname.</summary>
    public L7PolicyTable Policies { get; } = policies;

    /// <summary>The route named exactly <paramref name="hostname"/> (normalized), or null.</summary>
    public RouteEntry? FindRoute(string hostname)
    {
        foreach (var route in Routes.Routes)
        {
            if (route.Hostname == hostname)
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>A copy with <paramref name="route"/> added, or replacing the route of the same hostname; policies kept.</summary>
    public ListenerSnapshot WithRoute(RouteEntry route) => new(Routes.With(route), Policies);

    /// <summary>A copy without the route <paramref name="hostname"/> and its policies.</summary>
    public ListenerSnapshot WithoutRoute(string hostname) => new(Routes.Without(hostname), Policies.Without(hostname));

    /// <summary>A copy where <paramref name="hostname"/> has exactly <paramref name="policies"/>, in evaluation order.</summary>
    public ListenerSnapshot WithPolicies(string hostname, IEnumerable<L7Policy> policies) => new(Routes, Policies.With(hostname, policies));
}
