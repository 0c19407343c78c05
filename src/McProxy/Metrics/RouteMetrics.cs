using Prometheus;

namespace McProxy.Metrics;

/// <summary>A route's byte counters, counted as the relay moves each chunk so long connections show up live.</summary>
internal sealed class RouteMetrics(Counter.Child bytesIn, Counter.Child bytesOut)
{
    public void FromClient(int bytes) => bytesIn.Inc(bytes);

    public void FromBackend(int bytes) => bytesOut.Inc(bytes);
}
