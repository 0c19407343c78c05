using System.Net;
using McProxy.Routing;

namespace McProxy.Http;

/// <summary>
/// The route an L7 connection was given by the listener, set on the connection before Kestrel sees it: the TLS
/// certificate, the policies and the backend of every request on that connection come from here.
/// </summary>
internal interface IL7RouteFeature
{
    ListenerState Listener { get; }

    /// <summary>The SNI of the ClientHello; null when the client sent none (the default route answered).</summary>
    string? ServerName { get; }

    RouteEntry Route { get; }

    /// <summary>The real client: the peer, or the source in its PROXY header. Never a client-supplied header.</summary>
    IPEndPoint ClientEndPoint { get; }

    /// <summary>The address of <see cref="ClientEndPoint"/> as text, formatted once per connection.</summary>
    string ClientAddress { get; }
}
