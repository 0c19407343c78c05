namespace McProxy.Config;

/// <summary>The whole configuration file, validated. See SPEC §3 and mc-proxy.toml.example.</summary>
internal sealed record ProxyConfig
{
    public required DatabaseConfig Database { get; init; }

    public IReadOnlyList<ListenerConfig> Listeners { get; init; } = [];

    public GrpcConfig? Grpc { get; init; }

    public FirewallConfig Firewall { get; init; } = new();

    public ProxySettings Proxy { get; init; } = new();

    public MetricsConfig? Metrics { get; init; }

    public LogConfig Log { get; init; } = new();

    /// <summary>[tls]: the versions and resumption of L7 routes and the admin API's TLS endpoint.</summary>
    public TlsConfig Tls { get; init; } = new();

    /// <summary>Non-fatal findings of validation (e.g. a policy on an L4 route), logged at start.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
