namespace McProxy.Store;

internal sealed record StoredListener(
    long Id,
    string Addr,
    bool ProxyProtocol,
    IReadOnlyList<string> TrustedProxies,
    string? DefaultRoute,
    int MaxConnections);
