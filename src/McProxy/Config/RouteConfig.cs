namespace McProxy.Config;

internal sealed record RouteConfig
{
    /// <summary>Lower case; exact, or a leading wildcard "*.example.net".</summary>
    public required string Hostname { get; init; }

    public required string Backend { get; init; }

    public RouteMode Mode { get; init; } = RouteMode.L4;

    public string TlsCert { get; init; } = "";

    public string TlsKey { get; init; } = "";

    public bool BackendTls { get; init; }

    public string BackendCa { get; init; } = "";

    public bool BackendH2c { get; init; }

    public bool SendProxyProtocol { get; init; }

    public IReadOnlyList<L7PolicyConfig> L7Policies { get; init; } = [];
}
