using McProxy.Routing;
using McProxy.Routing.Pools;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>
/// Where and how one route's requests are forwarded: the client and request settings the route's members share, and
/// each member's destination prefix (scheme and address), built once per connection. SocketsHttpHandler keeps a
/// connection pool per destination, so requests to one member reuse that member's connections.
/// </summary>
internal sealed class Backend(RouteEntry route, string scheme, HttpMessageInvoker client, ForwarderRequestConfig config)
{
    private readonly string[] _prefixes = [.. route.Pool.Members.Select(m => $"{scheme}://{m.Address}")];

    public RouteEntry Route { get; } = route;

    public HttpMessageInvoker Client { get; } = client;

    public ForwarderRequestConfig Config { get; } = config;

    /// <summary>The destination prefix of <paramref name="member"/>, one of <see cref="Route"/>'s pool.</summary>
    public string DestinationPrefix(PoolMember member)
    {
        var members = Route.Pool.Members;
        for (var i = 0; i < members.Length; i++)
        {
            if (ReferenceEquals(members[i], member))
            {
                return _prefixes[i];
            }
        }

        throw new ArgumentException($"backend {member.Address} is not a member of route {Route.Hostname}", nameof(member));
    }
}
