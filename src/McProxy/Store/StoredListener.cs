using McProxy.Model;

namespace McProxy.Store;

/// <summary>A row of <c>listeners</c>: a listener's <see cref="ListenerSettings"/> with its id.</summary>
internal sealed record StoredListener(
    long Id,
    string Addr,
    bool ProxyProtocol,
    IReadOnlyList<string> TrustedProxies,
    string? DefaultRoute,
    int MaxConnections)
{
    public ListenerSettings ToSettings() => new()
    {
        Addr = Addr,
        ProxyProtocol = ProxyProtocol,
        TrustedProxies = TrustedProxies,
        DefaultRoute = DefaultRoute,
        MaxConnections = MaxConnections,
    };
}
