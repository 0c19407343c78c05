using Prometheus;

namespace McProxy.Metrics;

/// <summary>
/// One L7 route's request instruments on one listener, with the label children of every status class resolved
/// once: a request pays an interlocked add and a histogram observation, not three label lookups.
/// </summary>
internal sealed class HttpRouteMetrics(Counter requests, Histogram duration, string listener, string route)
{
    private readonly Counter.Child[] _byClass = [.. ((string[])["1xx", "2xx", "3xx", "4xx", "5xx"]).Select(code => requests.WithLabels(listener, route, code))];
    private readonly Histogram.Child _duration = duration.WithLabels(route);

    public void Request(int status, TimeSpan elapsed)
    {
        _byClass[Math.Clamp(status / 100, 1, 5) - 1].Inc();
        _duration.Observe(elapsed.TotalSeconds);
    }
}
