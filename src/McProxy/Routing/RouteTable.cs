using System.Collections.Frozen;

namespace McProxy.Routing;

/// <summary>
/// One listener's routes, immutable: a change builds a new table and swaps it in atomically, so lookups take no
/// lock and a connection keeps the route it was given. Matching: the exact hostname, then the wildcard one label
/// up ("*.example.net" matches "a.example.net", not "example.net" nor "a.b.example.net"), then the default route.
/// </summary>
internal sealed class RouteTable
{
    private readonly FrozenDictionary<string, RouteEntry> _exact;
    private readonly FrozenDictionary<string, RouteEntry> _wildcardBySuffix;

    public static readonly RouteTable Empty = new([], null);

    public RouteTable(IEnumerable<RouteEntry> routes, string? defaultRoute)
    {
        var all = routes.ToArray();
        Routes = all;
        _exact = all.Where(r => !r.IsWildcard).ToFrozenDictionary(r => r.Hostname, StringComparer.OrdinalIgnoreCase);
        _wildcardBySuffix = all.Where(r => r.IsWildcard).ToFrozenDictionary(r => r.Hostname[2..], StringComparer.OrdinalIgnoreCase);
        DefaultRoute = defaultRoute;
        Default = defaultRoute is null ? null : all.FirstOrDefault(r => string.Equals(r.Hostname, defaultRoute, StringComparison.OrdinalIgnoreCase));
    }

    public IReadOnlyList<RouteEntry> Routes { get; }

    /// <summary>The configured default route's hostname, kept even while no route of that name exists.</summary>
    public string? DefaultRoute { get; }

    public RouteEntry? Default { get; }

    /// <summary>The route for <paramref name="serverName"/> (null: no SNI), or null when nothing matches.</summary>
    public RouteEntry? Match(string? serverName)
    {
        if (serverName is not null)
        {
            if (_exact.TryGetValue(serverName, out var exact))
            {
                return exact;
            }

            var dot = serverName.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && _wildcardBySuffix.Count > 0
                && _wildcardBySuffix.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(serverName.AsSpan(dot + 1), out var wildcard))
            {
                return wildcard;
            }
        }

        return Default;
    }

    /// <summary>A copy with <paramref name="route"/> added, or replacing the route of the same hostname.</summary>
    public RouteTable With(RouteEntry route)
        => new(Routes.Where(r => !string.Equals(r.Hostname, route.Hostname, StringComparison.OrdinalIgnoreCase)).Append(route), DefaultRoute);

    public RouteTable Without(string hostname)
        => new(Routes.Where(r => !string.Equals(r.Hostname, hostname, StringComparison.OrdinalIgnoreCase)), DefaultRoute);
}
