namespace McProxy.Routing.Pools;

/// <summary>The checker's timing and bounds (<c>[proxy] health_interval</c>, <c>health_timeout</c>).</summary>
internal sealed record HealthCheckerOptions
{
    /// <summary>5 s, as SPEC's default and HAProxy's <c>inter 2s</c> order of magnitude: a dead backend is out within fall × interval.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>2 s: a healthy backend on the same network answers a connect or a health GET far sooner.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// 32: checks in flight at once over all pools. Each holds a socket for up to <see cref="Timeout"/>; the bound
    /// keeps a few hundred black-holed backends from holding hundreds of sockets and pool threads at once.
    /// </summary>
    public int MaxInFlight { get; init; } = 32;
}
