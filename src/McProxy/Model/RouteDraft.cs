namespace McProxy.Model;

/// <summary>A route as given, before any rule was applied: from a [[listeners.routes]] table or an AddRoute request.</summary>
internal sealed record RouteDraft
{
    public string Hostname { get; init; } = "";

    /// <summary>The config's <c>backend</c>, or the API's single backend; exactly one of this and <see cref="Backends"/> is set.</summary>
    public string Backend { get; init; } = "";

    /// <summary>The config's <c>backends</c> array, or the API's list.</summary>
    public IReadOnlyList<string> Backends { get; init; } = [];

    /// <summary>As written: "least_connections" (also the default, when empty), "round_robin" or "first".</summary>
    public string Balance { get; init; } = "";

    /// <summary>As written: "tcp", "http:PATH", "none", or empty for <see cref="HealthCheckSetting.DefaultFor"/>.</summary>
    public string HealthCheck { get; init; } = "";

    /// <summary>As written: "l4" (also the default, when empty) or "l7".</summary>
    public string Mode { get; init; } = "";

    public string TlsCert { get; init; } = "";

    public string TlsKey { get; init; } = "";

    public bool BackendTls { get; init; }

    public string BackendCa { get; init; } = "";

    public bool BackendH2c { get; init; }

    public bool SendProxyProtocol { get; init; }
}
