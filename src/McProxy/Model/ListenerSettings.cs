namespace McProxy.Model;

/// <summary>A listener's settings, as the data plane uses them (its routes are in its route table).</summary>
internal sealed record ListenerSettings
{
    /// <summary>As configured (":443", "127.0.0.1:8443", "[::1]:8443"); also the listener's name in the API.</summary>
    public required string Addr { get; init; }

    public bool ProxyProtocol { get; init; }

    /// <summary>Addresses or CIDRs allowed to send a PROXY header; empty: anyone.</summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    public string? DefaultRoute { get; init; }

    /// <summary>Concurrent connections on this listener; 0 leaves only the global limit.</summary>
    public int MaxConnections { get; init; }
}
