using System.Net;

namespace McProxy.Routing;

/// <summary>
/// What a route target and its byte pumps see of their connection, as inetaf/tcpproxy's <c>Target</c> sees a
/// <c>net.Conn</c>: who the client is, where to count the bytes, how to say there was traffic, and how to end it.
/// The listener's connection implements it; nothing here reaches its admission, routing or deadlines.
/// </summary>
internal interface IConnectionView
{
    /// <summary>The connection's id, as on its access line.</summary>
    long Id { get; }

    /// <summary>The real client: the peer, or the source in its PROXY header.</summary>
    IPEndPoint ClientEndPoint { get; }

    /// <summary>Counts bytes the client sent on, for the access line and the route's byte counter.</summary>
    void CountFromClient(int bytes);

    /// <summary>Counts bytes sent on to the client, for the access line and the route's byte counter.</summary>
    void CountFromBackend(int bytes);

    /// <summary>Bytes moved: the idle deadline starts again.</summary>
    void Touch();

    /// <summary>Ends the connection from outside (deadline, drain, relay error); the first outcome given wins.</summary>
    void Abort(string outcome);
}
