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
    /// A dial starts: connect_timeout runs from now, and <paramref name="backend"/> is the connection's from here on,
    /// so that the deadline or a drain closes it (which cancels a connect the backend never answers) and the
    /// connection's end disposes it. False when the connection was aborted meanwhile: do not connect.
    /// </summary>
    bool EnterConnecting(Socket backend);

    /// <summary>Bytes flow both ways: idle_timeout runs from now and from every <see cref="IConnectionView.Touch"/>.</summary>
    void EnterRelaying();

    /// <summary>
    /// Handed to Kestrel, which keeps the deadlines from here on; an abort calls <paramref name="serverClosing"/>
    /// before it closes the socket.
    /// </summary>
    void EnterHandOff(Action serverClosing);
}
