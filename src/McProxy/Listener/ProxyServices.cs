using McProxy.Config;
using McProxy.Firewall;
using McProxy.Http.Hosting;
using McProxy.Metrics;

namespace McProxy.Listener;

/// <summary>What every connection shares: settings, the tracker, the firewall and the loggers.</summary>
internal sealed class ProxyServices(ProxySettings settings, ConnectionTracker tracker, ILoggerFactory loggerFactory, GlobalFirewall? firewall = null)
{
    public ProxySettings Settings { get; } = settings;

    public ConnectionTracker Tracker { get; } = tracker;

    /// <summary>The global firewall; its rules are swapped through <see cref="Routing.RoutingState"/>.</summary>
    public GlobalFirewall Firewall { get; } = firewall ?? new GlobalFirewall();

    public ILogger Logger { get; } = loggerFactory.CreateLogger("McProxy.Connection");

    public ILogger AccessLogger { get; } = loggerFactory.CreateLogger("McProxy.Access");

    public ProxyMetrics Metrics { get; } = new();

    /// <summary>Where L7 connections are handed to Kestrel after their route lookup.</summary>
    public L7ConnectionQueue L7Connections { get; } = new();

    public long HelloTimeoutMs { get; } = (long)settings.HelloTimeout.TotalMilliseconds;

    public long ConnectTimeoutMs { get; } = (long)settings.ConnectTimeout.TotalMilliseconds;

    public long IdleTimeoutMs { get; } = (long)settings.IdleTimeout.TotalMilliseconds;
}
