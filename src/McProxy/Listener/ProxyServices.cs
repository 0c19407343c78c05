using McProxy.Config;
using McProxy.Firewall;
using McProxy.Metrics;
using McProxy.Routing;

namespace McProxy.Listener;

/// <summary>What every connection shares: settings, the tracker, the firewall, the route targets and the loggers.</summary>
internal sealed class ProxyServices(
    ProxySettings settings, ConnectionTracker tracker, ILoggerFactory loggerFactory, IRouteTarget l4Target, IRouteTarget l7Target, GlobalFirewall? firewall = null)
{
    public ProxySettings Settings { get; } = settings;

    public ConnectionTracker Tracker { get; } = tracker;

    /// <summary>The global firewall; its rules are swapped through <see cref="Routing.RoutingState"/>.</summary>
    public GlobalFirewall Firewall { get; } = firewall ?? new GlobalFirewall();

    public ILogger Logger { get; } = loggerFactory.CreateLogger("McProxy.Connection");

    public ILogger AccessLogger { get; } = loggerFactory.CreateLogger("McProxy.Access");

    public ProxyMetrics Metrics { get; } = new();

    /// <summary>Where a connection on an L4 route goes: the relay to its backend.</summary>
    public IRouteTarget L4Target { get; } = l4Target;

    /// <summary>Where a connection on an L7 route goes: the hand-off to Kestrel.</summary>
    public IRouteTarget L7Target { get; } = l7Target;

    public long HelloTimeoutMs { get; } = (long)settings.HelloTimeout.TotalMilliseconds;

    public long ConnectTimeoutMs { get; } = (long)settings.ConnectTimeout.TotalMilliseconds;

    public long IdleTimeoutMs { get; } = (long)settings.IdleTimeout.TotalMilliseconds;
}
