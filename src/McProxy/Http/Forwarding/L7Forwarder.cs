using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>
/// The last step of the L7 pipeline: YARP's <see cref="IHttpForwarder"/> sends the request to the route's backend
/// and streams the response back (bodies, upgrades, gRPC trailers); the response body of a request without one is
/// copied by <see cref="ResponseBodyCopier"/>, which holds less for a client that does not read. On failure YARP answers: backend refused or
/// unreachable 502, no response within the activity timeout 504; the error is in the access-log line. A connect
/// that times out is a backend that cannot be reached, so it answers 502 as a refused one does (YARP says 504).
/// </summary>
internal sealed class L7Forwarder(IHttpForwarder forwarder, BackendClients clients)
{
    /// <summary>Kestrel's own bound on draining an unread request body (RequestBodyDrainTimeout).</summary>
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(5);

    public async Task InvokeAsync(HttpContext context)
    {
        var route = (L7RouteFeature)context.Features.GetRequiredFeature<IL7RouteFeature>();
        // Once per connection: its route is fixed for its lifetime, however the table changes.
        var backend = route.Backend ??= clients.For(route.Route.Route);
        var body = HasHttp1Body(context.Request) ? new ClientBodyStream(context.Request.BodyReader) : null;
        if (body is not null)
        {
            context.Request.Body = body;
        }

        var error = await forwarder.SendAsync(context, backend.DestinationPrefix, backend.Client, backend.Config, clients.Transformer);
        if (body is not null)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            deadline.CancelAfter(SettleTimeout);
            if (!await body.SettleAsync(deadline.Token))
            {
                // A client that sends nothing more: Kestrel could not drain it either.
                context.Abort();
            }
        }

        if (error == ForwarderError.RequestTimedOut && !context.Response.HasStarted && IsConnectTimeout(context))
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        }
    }

    /// <summary>An HTTP/1.x request with a body (see <see cref="ClientBodyStream"/>); HTTP/2 streams are not drained.</summary>
    private static bool HasHttp1Body(HttpRequest request)
        => !HttpProtocol.IsHttp2(request.Protocol) && (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0);

    /// <summary>
    /// SocketsHttpHandler reports its ConnectTimeout as a cancellation caused by a <see cref="TimeoutException"/>;
    /// YARP's activity timeout is a cancellation without one.
    /// </summary>
    private static bool IsConnectTimeout(HttpContext context)
    {
        for (var e = context.Features.Get<IForwarderErrorFeature>()?.Exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
