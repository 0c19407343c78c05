using McProxy.Model;

namespace McProxy.Store;

/// <summary>A row of <c>routes</c>: the <see cref="RouteSettings"/> it holds, with its id and its listener's.</summary>
internal sealed record StoredRoute(long Id, long ListenerId, RouteSettings Route)
{
    public string Hostname => Route.Hostname;

    /// <summary>The admin state of each backend (by address as written in <see cref="RouteSettings.Backends"/>), from <c>route_backends</c>.</summary>
    public IReadOnlyDictionary<string, BackendAdminState> BackendStates { get; init; } = new Dictionary<string, BackendAdminState>();

    /// <summary>A row to write: the database gives it its id.</summary>
    public static StoredRoute From(RouteSettings route, long listenerId) => new(0, listenerId, route);
}
