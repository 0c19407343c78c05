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

    /// <summary>The pool's backends, host:port each, in configured order (the order <c>balance = "first"</c> goes by); at least one.</summary>
    public required IReadOnlyList<string> Backends { get; init; }

    /// <summary>The first backend: the only one of a route with a single <c>backend</c>.</summary>
    public string Backend => Backends[0];

    public BalanceAlgorithm Balance { get; init; } = BalanceAlgorithm.LeastConnections;

    /// <summary>Resolved: a route that named none has <see cref="HealthCheckSetting.DefaultFor"/> its pool.</summary>
    public HealthCheckSetting HealthCheck { get; init; } = HealthCheckSetting.None;

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
        Backends = draft.Backends.Count > 0 ? [.. draft.Backends] : [draft.Backend],
        Balance = RouteRules.ParseBalance(draft.Balance) ?? BalanceAlgorithm.LeastConnections,
        HealthCheck = draft.HealthCheck.Length > 0
            ? HealthCheckSetting.Parse(draft.HealthCheck) ?? HealthCheckSetting.None
            : HealthCheckSetting.DefaultFor(draft.Backends.Count > 0 ? draft.Backends.Count : 1),
        Mode = RouteRules.ParseMode(draft.Mode) ?? RouteMode.L4,
        TlsCert = draft.TlsCert,
        TlsKey = draft.TlsKey,
        BackendTls = draft.BackendTls,
        BackendCa = draft.BackendCa,
        BackendH2c = draft.BackendH2c,
        SendProxyProtocol = draft.SendProxyProtocol,
    };

    /// <summary>Field by field, the backends as a sequence (a record would compare the list by reference).</summary>
    public bool Equals(RouteSettings? other) =>
        other is not null
        && Hostname == other.Hostname
        && Backends.SequenceEqual(other.Backends)
        && Balance == other.Balance
        && HealthCheck == other.HealthCheck
        && Mode == other.Mode
        && TlsCert == other.TlsCert
        && TlsKey == other.TlsKey
        && BackendTls == other.BackendTls
        && BackendCa == other.BackendCa
        && BackendH2c == other.BackendH2c
        && SendProxyProtocol == other.SendProxyProtocol;

    public override int GetHashCode() => HashCode.Combine(Hostname, Backends.Count > 0 ? Backends[0] : "", Balance, HealthCheck, Mode, TlsCert, BackendTls, SendProxyProtocol);
}
