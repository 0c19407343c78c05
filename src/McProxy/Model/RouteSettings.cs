using McProxy.Net;

namespace McProxy.Model;

/// <summary>
/// A route as the data plane and the admin API see it, checked by <see cref="RouteRules"/>: which backend a hostname
/// goes to and how. The store keeps it as a row (<c>Store/StoredRoute</c>) and maps it to and from this.
/// </summary>
internal sealed record RouteSettings
{
    /// <summary>Lower case; exact, or a leading wildcard "*.example.net".</summary>
    public required string Hostname { get; init; }

    public required string Backend { get; init; }

    public RouteMode Mode { get; init; }

    public string TlsCert { get; init; } = "";

    public string TlsKey { get; init; } = "";

    public bool BackendTls { get; init; }

    public string BackendCa { get; init; } = "";

    public bool BackendH2c { get; init; }

    public bool SendProxyProtocol { get; init; }

    /// <summary>
    /// The route a draft gives once <see cref="RouteRules.Check"/> has passed it (hostname normalised, mode parsed): the
    /// one conversion the config reader and the admin API both use.
    /// </summary>
    public static RouteSettings FromDraft(RouteDraft draft) => new()
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
    };
}
