using System.Collections.Concurrent;
using Prometheus;

namespace McProxy.Metrics;

/// <summary>
/// One listener's instruments. Label children are looked up once and cached, so the hot path pays an
/// interlocked add, not a label lookup.
/// </summary>
internal sealed class ListenerMetrics(
    string listener,
    Counter.Child accepted,
    Gauge.Child active,
    Histogram.Child helloWait,
    Func<string, Counter.Child> outcome,
    Func<string, RouteMetrics> route)
{
    private readonly ConcurrentDictionary<string, Counter.Child> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RouteMetrics> _routes = new(StringComparer.Ordinal);

    public string Listener { get; } = listener;

    public void Accepted()
    {
        accepted.Inc();
        active.Inc();
    }

    public void Ended(string connectionOutcome)
    {
        active.Dec();
        _outcomes.GetOrAdd(connectionOutcome, outcome).Inc();
    }

    public void HelloComplete(TimeSpan wait) => helloWait.Observe(wait.TotalSeconds);

    /// <summary>The byte counters of a configured route (never called for an SNI that matched nothing).</summary>
    public RouteMetrics ForRoute(string hostname) => _routes.GetOrAdd(hostname, route);
}
