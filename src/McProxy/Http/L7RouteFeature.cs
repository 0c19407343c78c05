using System.Net;
using McProxy.Http.Forwarding;
using McProxy.Metrics;
using McProxy.Routing;

namespace McProxy.Http;

internal sealed class L7RouteFeature(long connectionId, ListenerState listener, string? serverName, RouteEntry route, IPEndPoint clientEndPoint) : IL7RouteFeature
{
    private int _requests;
    private string? _tlsProtocol;
    private int _clientGone;
    private int _requestsAbortedByClient;

    /// <summary>The proxy connection's id, as on its access-log line.</summary>
    public long ConnectionId { get; } = connectionId;

    public ListenerState Listener { get; } = listener;

    public string? ServerName { get; } = serverName;

    public RouteEntry Route { get; } = route;

    public IPEndPoint ClientEndPoint { get; } = clientEndPoint;

    public string ClientAddress => field ??= ClientEndPoint.Address.ToString();

    /// <summary>Where the connection's requests go, resolved at its first request.</summary>
    public Backend? Backend { get; set; }

    /// <summary>The route's request instruments, resolved at the connection's first request.</summary>
    public HttpRouteMetrics? HttpMetrics { get; set; }

    /// <summary>Requests served on this connection so far, for the connection's access-log line.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public void RequestStarted() => Interlocked.Increment(ref _requests);

    /// <summary>The negotiated TLS version and ALPN ("Tls13 h2"); null until the handshake has completed.</summary>
    public string? TlsProtocol => Volatile.Read(ref _tlsProtocol);

    public void HandshakeCompleted(string protocol) => Volatile.Write(ref _tlsProtocol, protocol);

    /// <summary>
    /// The client closed or reset the connection, or a send to it failed, before the server ended it: requests
    /// still in flight end as <c>client_aborted</c>.
    /// </summary>
    public bool ClientGone => Volatile.Read(ref _clientGone) != 0;

    public void ClientLeft() => Volatile.Write(ref _clientGone, 1);

    /// <summary>A request on this connection ended as <c>client_aborted</c>: so does the connection's access line.</summary>
    public bool AnyRequestAbortedByClient => Volatile.Read(ref _requestsAbortedByClient) != 0;

    public void RequestAbortedByClient() => Volatile.Write(ref _requestsAbortedByClient, 1);
}
