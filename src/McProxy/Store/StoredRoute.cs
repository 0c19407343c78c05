using McProxy.Config;

namespace McProxy.Store;

internal sealed record StoredRoute
{
    public long Id { get; init; }

    public long ListenerId { get; init; }

    public required string Hostname { get; init; }

    public required string Backend { get; init; }

    public RouteMode Mode { get; init; }

    public string TlsCert { get; init; } = "";

    public string TlsKey { get; init; } = "";

    public bool BackendTls { get; init; }

    public string BackendCa { get; init; } = "";

    public bool BackendH2c { get; init; }

    public bool SendProxyProtocol { get; init; }

    public static StoredRoute FromConfig(RouteConfig route) => new()
    {
        Hostname = route.Hostname,
        Backend = route.Backend,
        Mode = route.Mode,
        TlsCert = route.TlsCert,
        TlsKey = route.TlsKey,
        BackendTls = route.BackendTls,
        BackendCa = route.BackendCa,
        BackendH2c = route.BackendH2c,
        SendProxyProtocol = route.SendProxyProtocol,
    };
}
