using McProxy.Routing.Pools;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>
/// The last step of the L7 pipeline: picks a member of the route's pool for the request, and YARP's
/// <see cref="IHttpForwarder"/> sends the request to it and streams the response back (bodies, upgrades, gRPC
/// trailers); the response body of a request without one is copied by <see cref="ResponseBodyCopier"/>, which holds
/// less for a client that does not read. On failure YARP answers: backend refused or unreachable 502, no response
/// within the activity timeout 504; the error is in the access-log line. A connect that times out is a backend that
/// cannot be reached, so it answers 502 as a refused one does (YARP says 504).
/// </summary>
/// <remarks>
/// The member's lease is held for the whole exchange (a streamed response, a WebSocket, a gRPC stream), so least
/// connections counts requests in flight. A connect that fails or times out marks the member
/// (<see cref="PoolMember.RecordConnectFailure"/>) and, as nothing of the request was sent (no connection, so no
/// header and no body byte left the proxy, and no response started), the request goes to the next usable member,
/// each member at most once; when all fail, the last 502 stands. No usable member at all: 503, <c>no_backend</c>.
/// Each attempt has SocketsHttpHandler's whole connect_timeout (its connections are shared between requests, so no
/// per-request budget can be given to one); a black-holed member is taken out by the active checks and the passive
/// marking within fall × interval.
/// </remarks>
internal sealed class L7Forwarder(IHttpForwarder forwarder, BackendClients clients)
{
    /// <summary>Kestrel's own bound on draining an unread request body (RequestBodyDrainTimeout).</summary>
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(5);

    public async Task InvokeAsync(HttpContext context)
    {
        var route = (L7RouteFeature)context.Features.GetRequiredFeature<IL7RouteFeature>();
        // Once per connection: its route is fixed for its lifetime, however the table changes.
        var backend = route.Backend ??= clients.For(route.Route);
        var pool = route.Route.Pool;
        ulong tried = 0;
        if (!pool.TryAcquire(ref tried, out var lease))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Items[L7RequestLog.NoBackendKey] = NoBackend.Describe(pool);
            return;
        }

        try
        {
            var body = HasHttp1Body(context.Request) ? new ClientBodyStream(context.Request.BodyReader) : null;
            if (body is not null)
            {
                context.Request.Body = body;
            }

            ForwarderError error;
            while (true)
            {
                error = await forwarder.SendAsync(context, backend.DestinationPrefix(lease.Member), backend.Client, backend.Config, clients.Transformer);
                if (ConnectFailure(context, error) is not { } reason)
                {
                    break;
                }

                lease.Member.RecordConnectFailure(reason);
                lease.Dispose();
                if (!pool.TryAcquire(ref tried, out lease))
                {
                    break;
                }

                // The next member: what YARP set for the failed attempt (its error, its 502) is undone.
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.StatusCode = StatusCodes.Status200OK;
            }

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
        finally
        {
            lease.Dispose();
        }
    }

    /// <summary>
    /// Why the attempt's connect failed, when it is one that may go to the next member: no connection was made (a
    /// refused or unreachable address, a name that did not resolve, the connect timeout), so nothing was sent, and
    /// neither the response has started nor the client has left. Null otherwise.
    /// </summary>
    private static string? ConnectFailure(HttpContext context, ForwarderError error)
    {
        if (error is not (ForwarderError.Request or ForwarderError.RequestTimedOut) || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return null;
        }

        if (error == ForwarderError.RequestTimedOut)
        {
            return IsConnectTimeout(context) ? "connect timed out" : null;
        }

        for (var e = context.Features.Get<IForwarderErrorFeature>()?.Exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
            {
                return e.Message;
            }
        }

        return null;
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
