using McProxy.Model;
using McProxy.Net;

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

    /// <summary>The route without its policies, as the data plane and the store take it.</summary>
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

    /// <summary>
    /// The route a draft gives once <see cref="RouteRules.Check"/> has passed it (hostname normalised, mode parsed): the
    /// one conversion the config reader and the admin API both use.
    /// </summary>
    public static RouteConfig FromDraft(RouteDraft draft, IReadOnlyList<L7PolicyConfig> policies) => new()
    {
        Hostname = Hostnames.Normalize(draft.Hostname),
        Backend = draft.Backend,
        Mode = RouteRules.ParseMode(draft.Mode) ?? RouteMode.L4,
        TlsCert = draft.TlsCert,
        TlsKey = draft.TlsKey,
        BackendTls = draft.BackendTls,
        BackendCa = draft.BackendCa,
        BackendH2c = draft.BackendH2c,
        SendProxyProtocol = draft.SendProxyProtocol,
        L7Policies = policies,
    };
}
