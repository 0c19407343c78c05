using System.Diagnostics;
using McProxy.Metrics;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http;

/// <summary>
/// The first step of every L7 request: counts it, and when it has ended writes its access-log line (listener,
/// client, host, route, method, path, protocol, status, duration, and the id of the connection's own line) and its metrics (requests by status class,
/// duration by route). The path is logged without its query string, which often carries tokens.
/// </summary>
internal sealed partial class L7RequestLog(RequestDelegate next, ProxyMetrics metrics, ILogger accessLogger)
{
    /// <summary>Set in <see cref="HttpContext.Items"/> by a later step to explain the status in the access log.</summary>
    public static readonly object DetailKey = new();

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
            // An exception before the response started becomes Kestrel's 500.
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
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
                    (long)elapsed.TotalMilliseconds,
                    Detail(context, failed),
                    route.ConnectionId);
            }
        }
    }

    private static string Detail(HttpContext context, bool failed)
    {
        if (context.Items.TryGetValue(DetailKey, out var detail) && detail is string text)
        {
            return text;
        }

        if (context.Features.Get<IForwarderErrorFeature>() is { } error)
        {
            return error.Exception is null ? $"forwarder {error.Error}" : $"forwarder {error.Error}: {error.Exception.Message}";
        }

        if (failed)
        {
            return "failed";
        }

        return context.RequestAborted.IsCancellationRequested ? "aborted" : "";
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information,
            "{Listener} {Client} host={Host} route={Route} {Method} {Path} {Protocol} status={Status} duration_ms={DurationMs} detail={Detail} id={ConnectionId}",
            EventName = "Request")]
        public static partial void Request(ILogger logger, string listener, string client, string host, string route, string method, string path,
            string protocol, int status, long durationMs, string detail, long connectionId);
    }
}
