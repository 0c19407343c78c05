using System.Net.Sockets;

namespace McProxy.Routing;

/// <summary>
/// The steps of a route target that change which deadline the listener's sweeper applies to its connection. Until
/// the first of them the handshake deadline (hello_timeout) still runs.
/// </summary>
internal interface IConnectionPhases
{
    /// <summary>The outcome of the abort that ended the connection (a deadline, a drain); null while it runs.</summary>
    string? AbortOutcome { get; }

    /// <summary>
    /// A dial starts: connect_timeout runs from the first one, and <paramref name="backend"/> is the connection's from
    /// here on, so that the deadline or a drain closes it (which cancels a connect the backend never answers) and the
    /// connection's end disposes it. A later dial (the next member after a failed one) replaces and disposes the
    /// previous socket and runs within what is left of connect_timeout. This attempt gets the
    /// <paramref name="share"/>th part of what is left: when it has passed, the sweeper closes this socket only (the
    /// dial fails and the next member may be tried), not the connection. <paramref name="address"/> is the member
    /// dialed, the access line's backend. False when the connection was aborted meanwhile: do not connect.
    /// </summary>
    bool EnterConnecting(Socket backend, string address, int share = 1);

    /// <summary>Bytes flow both ways: idle_timeout runs from now and from every <see cref="IConnectionView.Touch"/>.</summary>
    void EnterRelaying();

    /// <summary>
    /// Handed to Kestrel, which keeps the deadlines from here on; an abort calls <paramref name="serverClosing"/>
    /// before it closes the socket.
    /// </summary>
    void EnterHandOff(Action serverClosing);
}
