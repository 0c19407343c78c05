using System.Diagnostics;
using McProxy.Metrics;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http;

/// <summary>
/// The first step of every L7 request: counts it, and when it has ended writes its access-log line (listener,
/// client, host, route, method, path, protocol, status, outcome, duration, and the id of the connection's own line) and its metrics (requests by status class,
/// duration by route). The path is logged without its query string, which often carries tokens.
/// </summary>
internal sealed partial class L7RequestLog(RequestDelegate next, ProxyMetrics metrics, ILogger accessLogger)
{
    /// <summary>Set in <see cref="HttpContext.Items"/> by a later step to explain the status in the access log.</summary>
    public static readonly object DetailKey = new();

    /// <summary>Set in <see cref="HttpContext.Items"/> by the forwarder when no backend of the route was usable: the 503's detail.</summary>
    public static readonly object NoBackendKey = new();

    /// <summary>The status logged when the client left before any response was sent (nginx's "client closed request").</summary>
    public const int ClientClosedRequest = 499;

    public async Task InvokeAsync(HttpContext context)
    {
        var route = context.Features.Get<IL7RouteFeature>() as L7RouteFeature
            ?? throw new InvalidOperationException("an L7 request on a connection without its route");
        route.RequestStarted();
        var start = Stopwatch.GetTimestamp();
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            var (status, outcome, detail) = Describe(context, route, failed);
            if (outcome == RequestOutcome.ClientAborted)
            {
                route.RequestAbortedByClient();
            }

            var hostname = route.Route.Hostname;
            (route.HttpMetrics ??= metrics.ForHttpRoute(route.Listener.Addr, hostname)).Request(status, elapsed);
            if (accessLogger.IsEnabled(LogLevel.Information))
            {
                Log.Request(
                    accessLogger,
                    route.Listener.Addr,
                    route.ClientEndPoint.ToString(),
                    context.Request.Host.Value ?? "",
                    hostname,
                    context.Request.Method,
                    context.Request.Path.Value ?? "",
                    context.Request.Protocol,
                    status,
                    outcome,
                    (long)elapsed.TotalMilliseconds,
                    detail,
                    route.ConnectionId);
            }
        }
    }

    /// <summary>
    /// What the client got and how the request ended. The status is the one sent: once the response has started,
    /// whatever YARP or Kestrel set afterwards does not reach the client; before, a client that left got nothing (499).
    /// </summary>
    private static (int Status, string Outcome, string Detail) Describe(HttpContext context, L7RouteFeature route, bool failed)
    {
        var response = context.Response;
        var error = context.Features.Get<IForwarderErrorFeature>();
        var aborted = context.RequestAborted.IsCancellationRequested;
        var clientSide = error is null ? aborted : IsClientSide(error.Error);
        if (response.StatusCode == StatusCodes.Status101SwitchingProtocols && response.HasStarted && (clientSide || error is null))
        {
            // An upgraded connection (WebSocket) ends when one side closes it: the client closing it is its normal
            // end, which YARP reports as a cancelled upgrade.
            return (StatusCodes.Status101SwitchingProtocols, RequestOutcome.Ok, aborted || error is not null ? "closed by the client" : "");
        }

        // A client-side failure while the client is gone is the client leaving, even when Kestrel has not yet
        // cancelled RequestAborted (the copy's write can fail first, once Kestrel has seen the connection end).
        if ((aborted || (error is not null && route.ClientGone)) && clientSide)
        {
            var status = response.HasStarted ? response.StatusCode : ClientClosedRequest;
            // The connection still stands: only this stream was reset (HTTP/2 RST_STREAM).
            return route.ClientGone || !HttpProtocol.IsHttp2(context.Request.Protocol)
                ? (status, RequestOutcome.ClientAborted, response.HasStarted ? "the client left mid-response" : "the client left before the response")
                : (status, RequestOutcome.ClientReset, "the client reset the stream");
        }

        // An exception before the response started becomes Kestrel's 500.
        var sent = failed && !response.HasStarted ? StatusCodes.Status500InternalServerError : response.StatusCode;
        if (context.Items.TryGetValue(NoBackendKey, out var none) && none is string why)
        {
            return (sent, RequestOutcome.NoBackend, why);
        }

        if (context.Items.TryGetValue(DetailKey, out var detail) && detail is string text)
        {
            return (sent, RequestOutcome.Ok, text);
        }

        if (error is not null)
        {
            var described = error.Exception is null ? $"forwarder {error.Error}" : $"forwarder {error.Error}: {error.Exception.Message}";
            return (sent, RequestOutcome.BackendError, described);
        }

        if (failed)
        {
            return (sent, RequestOutcome.Error, "failed");
        }

        return aborted ? (sent, RequestOutcome.Aborted, "aborted") : (sent, RequestOutcome.Ok, "");
    }

    /// <summary>YARP's errors that come from the client's side: it cancelled, reset or stopped sending.</summary>
    private static bool IsClientSide(ForwarderError error) => error is ForwarderError.RequestCanceled
        or ForwarderError.RequestBodyCanceled
        or ForwarderError.RequestBodyClient
        or ForwarderError.ResponseBodyCanceled
        or ForwarderError.ResponseBodyClient
        or ForwarderError.UpgradeRequestCanceled
        or ForwarderError.UpgradeRequestClient
        or ForwarderError.UpgradeResponseCanceled
        or ForwarderError.UpgradeResponseClient;

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information,
            "{Listener} {Client} host={Host} route={Route} {Method} {Path} {Protocol} status={Status} outcome={Outcome} duration_ms={DurationMs} detail={Detail} id={ConnectionId}",
            EventName = "Request")]
        public static partial void Request(ILogger logger, string listener, string client, string host, string route, string method, string path,
            string protocol, int status, string outcome, long durationMs, string detail, long connectionId);
    }
}
