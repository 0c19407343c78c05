using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>
/// The last step of the L7 pipeline: YARP's <see cref="IHttpForwarder"/> sends the request to the route's backend
/// and streams the response back (bodies, upgrades, gRPC trailers). On failure YARP answers: backend refused or
/// unreachable 502, no response within the activity timeout 504; the error is in the access-log line.
/// </summary>
internal sealed class L7Forwarder(IHttpForwarder forwarder, BackendClients clients)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var route = context.Features.GetRequiredFeature<IL7RouteFeature>();
        var backend = clients.For(route.Route.Route);
        await forwarder.SendAsync(context, backend.DestinationPrefix, backend.Client, backend.Config, ForwardedHeadersTransformer.Instance);
    }
}
