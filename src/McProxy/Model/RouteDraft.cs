namespace McProxy.Model;

/// <summary>A route as given, before any rule was applied: from a [[listeners.routes]] table or an AddRoute request.</summary>
internal sealed record RouteDraft
{
    public string Hostname { get; init; } = "";

    public string Backend { get; init; } = "";

    /// <summary>As written: "l4" (also the default, when empty) or "l7".</summary>
    public string Mode { get; init; } = "";

    public string TlsCert { get; init; } = "";

    public string TlsKey { get; init; } = "";

    public bool BackendTls { get; init; }

    public string BackendCa { get; init; } = "";

    public bool BackendH2c { get; init; }

    public bool SendProxyProtocol { get; init; }
}
