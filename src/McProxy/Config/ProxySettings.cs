namespace McProxy.Config;

/// <summary>The [proxy] section: timeouts and the global limit.</summary>
internal sealed record ProxySettings
{
    /// <summary>
    /// The most checks in a row <c>health_rise</c> and <c>health_fall</c> may ask for: at the longest interval (1 h)
    /// that is already days before a backend moves; more is a typo, not a policy.
    /// </summary>
    public const int MaxHealthCount = 100;

    /// <summary>Dialling a backend. 5 s: long enough for a congested overlay link, short enough that a dead backend frees the client fast.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>No traffic either way for this long closes a relayed connection. 300 s outlives common keep-alive intervals.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Graceful drain on SIGTERM/SIGINT before open connections are closed; 30 s fits systemd's default stop timeout (90 s).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The PROXY header and the ClientHello must arrive within this; bounds what a slowloris can hold.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Concurrent connections over all listeners; 0 is no global limit (the file-descriptor limit still applies).</summary>
    public int MaxConnections { get; init; }

    /// <summary>Backend health checks run every this long (<c>health_interval</c>); also how often a failed connect may count as a failed check.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>One health check's limit (<c>health_timeout</c>).</summary>
    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Passed checks in a row that bring a down backend up (<c>health_rise</c>, HAProxy's rise).</summary>
    public int HealthRise { get; init; } = 2;

    /// <summary>Failed checks in a row that take an up backend down (<c>health_fall</c>, HAProxy's fall).</summary>
    public int HealthFall { get; init; } = 3;
}
