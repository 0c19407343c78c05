using System.Net;
using McProxy.Listener;

namespace McProxy.Http;

internal sealed class L7RouteFeature(ListenerState listener, string? serverName, RouteEntry route, IPEndPoint clientEndPoint) : IL7RouteFeature
{
    private int _requests;

    public ListenerState Listener { get; } = listener;

    public string? ServerName { get; } = serverName;

    public RouteEntry Route { get; } = route;

    public IPEndPoint ClientEndPoint { get; } = clientEndPoint;

    /// <summary>Requests served on this connection so far, for the connection's access-log line.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public void RequestStarted() => Interlocked.Increment(ref _requests);
}
