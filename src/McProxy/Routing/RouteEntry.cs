using System.Net;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Routing;

/// <summary>
/// A route as the hot path uses it: immutable, with its backend address parsed once. Built before a route is
/// committed, so a backend that does not parse refuses the change before anything is written.
/// </summary>
internal sealed class RouteEntry
{
    public RouteEntry(RouteSettings route)
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

    public RouteSettings Route { get; }

    public string Hostname => Route.Hostname;

    public RouteMode Mode => Route.Mode;

    /// <summary>An <see cref="IPEndPoint"/> for an IP literal, else a <see cref="DnsEndPoint"/> resolved at each dial.</summary>
    public EndPoint BackendEndPoint { get; }

    public bool IsWildcard => Route.Hostname.StartsWith("*.", StringComparison.Ordinal);
}
