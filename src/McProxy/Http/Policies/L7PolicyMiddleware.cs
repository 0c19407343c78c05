using McProxy.Metrics;
using Microsoft.AspNetCore.Http.Features;

namespace McProxy.Http.Policies;

/// <summary>
/// Runs the route's L7 policies on each request, between the request log and the forwarder. The policy table is
/// read afresh per request, so a policy added or removed applies to the very next request, also on a keep-alive
/// or HTTP/2 connection opened before the change. The first matching policy answers 403 and nothing is forwarded.
/// </summary>
internal sealed partial class L7PolicyMiddleware(RequestDelegate next, ProxyMetrics metrics, ILogger logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var route = context.Features.GetRequiredFeature<IL7RouteFeature>();
        var policies = route.Listener.Snapshot.Policies.For(route.Route.Hostname);
        if (policies.Count == 0 || L7PolicyEvaluator.FirstMatch(policies, context.Request.Headers) is not { } policy)
        {
            return next(context);
        }

        metrics.PolicyBlocks.WithLabels(route.Route.Hostname, policy.Type).Inc();
        var detail = $"blocked by policy {policy.Type}={policy.Value}";
        context.Items[L7RequestLog.DetailKey] = detail;
        Log.Blocked(logger, route.Listener.Addr, route.ClientEndPoint.ToString(), route.Route.Hostname, policy.Type, policy.Value);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(320, LogLevel.Information, "{Listener} {Client} route={Route}: request blocked by policy {Type}={Value}", EventName = "PolicyBlocked")]
        public static partial void Blocked(ILogger logger, string listener, string client, string route, string type, string value);
    }
}
