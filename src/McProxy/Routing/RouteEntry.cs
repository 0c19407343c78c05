using System.Net;
using McProxy.Config;
using McProxy.Net;
using McProxy.Store;

namespace McProxy.Routing;

/// <summary>A route as the hot path uses it: immutable, with its backend address parsed once.</summary>
internal sealed class RouteEntry
{
    public RouteEntry(StoredRoute route)
    {
        Route = route;
        if (!HostPort.TryParse(route.Backend, allowEmptyHost: false, out var backend, out var error))
        {
            throw new ArgumentException($"route {route.Hostname}: backend {error}", nameof(route));
        }

        BackendEndPoint = IPAddress.TryParse(backend.Host, out var address)
            ? new IPEndPoint(address, backend.Port)
            : new DnsEndPoint(backend.Host, backend.Port);
    }

    public StoredRoute Route { get; }

    public string Hostname => Route.Hostname;

    public RouteMode Mode => Route.Mode;

    /// <summary>An <see cref="IPEndPoint"/> for an IP literal, else a <see cref="DnsEndPoint"/> resolved at each dial.</summary>
    public EndPoint BackendEndPoint { get; }

    public bool IsWildcard => Route.Hostname.StartsWith("*.", StringComparison.Ordinal);
}
