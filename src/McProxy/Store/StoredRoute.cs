using McProxy.Model;

namespace McProxy.Store;

/// <summary>A row of <c>routes</c>: a <see cref="RouteSettings"/> with its id and its listener's.</summary>
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

    public static StoredRoute From(RouteSettings route, long listenerId) => new()
    {
        ListenerId = listenerId,
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

    public RouteSettings ToRoute() => new()
    {
        Hostname = Hostname,
        Backend = Backend,
        Mode = Mode,
        TlsCert = TlsCert,
        TlsKey = TlsKey,
        BackendTls = BackendTls,
        BackendCa = BackendCa,
        BackendH2c = BackendH2c,
        SendProxyProtocol = SendProxyProtocol,
    };
}
