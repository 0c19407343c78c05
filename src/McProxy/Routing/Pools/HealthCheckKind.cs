namespace McProxy.Routing.Pools;

/// <summary>What an active check does (a route's <c>health_check</c>; <c>none</c> registers no check).</summary>
internal enum HealthCheckKind
{
    /// <summary>Connect within the timeout, then close.</summary>
    Tcp,

    /// <summary>GET a path; 2xx and 3xx are healthy.</summary>
    Http,
}
