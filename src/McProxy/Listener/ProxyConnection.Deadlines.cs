using System.Net.Sockets;
using McProxy.Routing;

namespace McProxy.Listener;

/// <summary>
/// The phase a connection is in decides the deadline the sweeper applies: the handshake (hello_timeout, from
/// admission), connecting (connect_timeout), relaying (idle_timeout since the last byte), or none once Kestrel has
/// it. The route target moves the connection on through <see cref="IConnectionPhases"/>.
/// </summary>
internal sealed partial class ProxyConnection
{
    private const int PhaseHandshake = 0;
    private const int PhaseConnecting = 1;
    private const int PhaseRelaying = 2;
    private const int PhaseL7 = 3;

    private Socket? _backend;
    private Action? _serverClosing;
    private string? _abortOutcome;
    private int _phase;
    // No deadline until a phase writes one: the sweeper may see a connection before its admission does.
    private long _deadline = long.MaxValue;
    private long _attemptDeadline;
    private string? _backendAddress;
    private long _lastActivity;

    string? IConnectionPhases.AbortOutcome => Volatile.Read(ref _abortOutcome);

    public void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>Called by the sweeper: aborts the connection when its current phase's deadline has passed.</summary>
    public void CheckDeadline(long now)
    {
        switch (Volatile.Read(ref _phase))
        {
            case PhaseL7:
                // Kestrel keeps an L7 connection's deadlines: the TLS handshake (hello_timeout), idle keep-alive
                // (idle_timeout), and per request YARP's activity timeout (idle_timeout, then 504).
                break;
            case PhaseRelaying:
                if (now - Volatile.Read(ref _lastActivity) >= _services.IdleTimeoutMs)
                {
                    Abort(ConnectionOutcome.IdleTimeout);
                }

                break;
            case PhaseConnecting:
                // The socket before its deadline: EnterConnecting writes the next attempt's deadline before it swaps the
                // socket in, so a socket read here is never judged by the deadline of the attempt before it.
                var dialing = Volatile.Read(ref _backend);
                if (now >= Volatile.Read(ref _deadline))
                {
                    Abort(ConnectionOutcome.BackendUnreachable);
                }
                else if (now >= Volatile.Read(ref _attemptDeadline) && dialing is { Connected: false })
                {
                    // This attempt's share of connect_timeout is spent: its dial fails, the connection goes on to the
                    // next member. A socket that did connect is left alone: it is about to relay.
                    dialing.Dispose();
                }

                break;
            case PhaseHandshake when now >= Volatile.Read(ref _deadline):
                Abort(ConnectionOutcome.HelloTimeout);
                break;
        }
    }

    /// <summary>Ends the connection from outside (deadline, drain, relay error); the first outcome given wins.</summary>
    public void Abort(string outcome)
    {
        if (Interlocked.CompareExchange(ref _abortOutcome, outcome, null) is null)
        {
            // The sends that fail once the socket is closed below are not the client leaving.
            Volatile.Read(ref _serverClosing)?.Invoke();
            // A reset on one side is passed on as a reset; a deadline or a drain closes with a FIN.
            var abortive = outcome == ConnectionOutcome.Reset;
            Close(_client, abortive);
            if (Volatile.Read(ref _backend) is { } backend)
            {
                Close(backend, abortive);
            }
        }
    }

    bool IConnectionPhases.EnterConnecting(Socket backend, string address, int share)
    {
        var now = Environment.TickCount64;
        var first = Volatile.Read(ref _phase) != PhaseConnecting;
        var deadline = first ? now + _services.ConnectTimeoutMs : Volatile.Read(ref _deadline);
        // The attempt's deadline before the phase and the socket: the sweeper never sees this socket (or the phase)
        // with an older attempt's deadline.
        Volatile.Write(ref _attemptDeadline, now + (Math.Max(0, deadline - now) / Math.Max(1, share)));
        if (first)
        {
            EnterPhase(PhaseConnecting, _services.ConnectTimeoutMs);
        }

        Volatile.Write(ref _backendAddress, address);
        // Published with a full fence against Abort's: either Abort sees the socket and closes it, or this sees
        // the abort and the dial does not start. The previous attempt's socket, if any, is done with.
        Interlocked.Exchange(ref _backend, backend)?.Dispose();
        return Volatile.Read(ref _abortOutcome) is null;
    }

    void IConnectionPhases.EnterRelaying()
    {
        Touch();
        Volatile.Write(ref _phase, PhaseRelaying);
    }

    void IConnectionPhases.EnterHandOff(Action serverClosing)
    {
        Volatile.Write(ref _serverClosing, serverClosing);
        Volatile.Write(ref _phase, PhaseL7);
    }

    private void EnterPhase(int phase, long timeoutMs)
    {
        Volatile.Write(ref _deadline, Environment.TickCount64 + timeoutMs);
        Volatile.Write(ref _phase, phase);
    }

    private static void Close(Socket socket, bool abortive)
    {
        if (abortive)
        {
            Reset(socket);
            return;
        }

        try
        {
            // Shutdown sends the FIN and wakes a pending receive; disposing a socket with a pending
            // operation would otherwise close it abortively.
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    /// <summary>Closes with a TCP RST (SO_LINGER 0): nothing else is sent.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }
}
