using System.Collections.Concurrent;
using Prometheus;

namespace McProxy.Metrics;

/// <summary>
/// Every instrument mc-proxy exposes, in a registry of its own (so two servers in one process, as in the tests,
/// never share counts). Labels are bounded by configuration: listeners, routes, outcomes, block reasons, policy
/// types and status classes. Never a client address, never an SNI that matched no route.
/// </summary>
internal sealed class ProxyMetrics
{
    private readonly Counter _accepted;
    private readonly Gauge _active;
    private readonly Counter _ended;
    private readonly Counter _bytes;
    private readonly Histogram _helloWait;
    private readonly ConcurrentDictionary<string, ListenerMetrics> _listeners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Listener, string Route), HttpRouteMetrics> _httpRoutes = new();

    public ProxyMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // Exemplars would read the current trace context at every increment; mc-proxy starts no traces.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _accepted = factory.CreateCounter("mcproxy_connections_accepted_total", "Connections accepted, by listener.", "listener");
        _active = factory.CreateGauge("mcproxy_connections_active", "Connections open now, by listener.", "listener");
        _ended = factory.CreateCounter(
            "mcproxy_connections_total",
            "Connections ended, by listener and outcome (ok, limit, blocked_ip, blocked_cidr, blocked_country, blocked_rate, untrusted_proxy, bad_proxy_header, bad_hello, hello_timeout, no_route, no_backend, backend_unreachable, tls_failed, idle_timeout, shutdown, reset, error).",
            "listener",
            "outcome");
        _bytes = factory.CreateCounter(
            "mcproxy_bytes_total",
            "Bytes relayed, by listener, route and direction (in: from the client, out: to the client; on L7 routes the client side's TLS bytes).",
            "listener",
            "route",
            "direction");
        _helloWait = factory.CreateHistogram(
            "mcproxy_clienthello_wait_seconds",
            "Time from accept until the ClientHello was complete, by listener.",
            new HistogramConfiguration
            {
                LabelNames = ["listener"],
                Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16),
            });
        FirewallBlocks = factory.CreateCounter(
            "mcproxy_firewall_blocks_total",
            "Connections refused before routing, by reason (ip, cidr, country, rate, untrusted_proxy).",
            "reason");
        HttpRequests = factory.CreateCounter(
            "mcproxy_http_requests_total",
            "L7 requests, by listener, route and status class (2xx, 3xx, 4xx, 5xx).",
            "listener",
            "route",
            "code");
        HttpRequestDuration = factory.CreateHistogram(
            "mcproxy_http_request_duration_seconds",
            "L7 request duration until the response ended, by route.",
            new HistogramConfiguration
            {
                LabelNames = ["route"],
                Buckets = Histogram.ExponentialBuckets(0.001, 2, 16),
            });
        PolicyBlocks = factory.CreateCounter(
            "mcproxy_l7_policy_blocks_total",
            "L7 requests answered 403 by a policy, by route and policy type.",
            "route",
            "type");
        Backends = new BackendMetrics(factory);
        Registry.AddBeforeCollectCallback(Backends.Update);
    }

    /// <summary>The per-backend instruments, read from the live route tables at each scrape.</summary>
    public BackendMetrics Backends { get; }

    public CollectorRegistry Registry { get; }

    public Counter FirewallBlocks { get; }

    public Counter HttpRequests { get; }

    public Histogram HttpRequestDuration { get; }

    public Counter PolicyBlocks { get; }

    /// <summary>The request instruments of an L7 route on a listener, resolved once and shared by its connections.</summary>
    public HttpRouteMetrics ForHttpRoute(string listener, string route)
        => _httpRoutes.GetOrAdd((listener, route), key => new HttpRouteMetrics(HttpRequests, HttpRequestDuration, key.Listener, key.Route));

    /// <summary>The instruments of one listener, with their label children resolved once.</summary>
    public ListenerMetrics ForListener(string listener)
        => _listeners.GetOrAdd(listener, name => new ListenerMetrics(
            name,
            _accepted.WithLabels(name),
            _active.WithLabels(name),
            _helloWait.WithLabels(name),
            outcome => _ended.WithLabels(name, outcome),
            route => new RouteMetrics(_bytes.WithLabels(name, route, "in"), _bytes.WithLabels(name, route, "out"))));
}
