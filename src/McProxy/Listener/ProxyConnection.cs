using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using McProxy.Config;
using McProxy.Firewall;
using McProxy.Http;
using McProxy.Http.Hosting;
using McProxy.Metrics;
using McProxy.Net;
using McProxy.ProxyProtocol;
using McProxy.Relay;
using McProxy.Routing;
using McProxy.Tls;

namespace McProxy.Listener;

/// <summary>
/// One accepted connection, from admission to the access-log line: read the PROXY header (when the listener takes
/// one) from a trusted peer, check the client against the firewall, sniff the ClientHello, pick the route, dial
/// the backend, replay the sniffed bytes (after a PROXY v2 header, when the route sends one) and relay. Deadlines are checked by <see cref="ConnectionTracker"/>,
/// which calls <see cref="Abort"/>; closing the sockets is what wakes the pending operation.
/// </summary>
internal sealed partial class ProxyConnection
{
    private const int PhaseHandshake = 0;
    private const int PhaseConnecting = 1;
    private const int PhaseRelaying = 2;
    private const int PhaseL7 = 3;

    private readonly ProxyServices _services;
    private readonly ListenerState _listener;
    private readonly Socket _client;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private Socket? _backend;
    private L7Connection? _l7;
    private string? _abortOutcome;
    private int _phase;
    private long _deadline;
    private long _lastActivity;

    public ProxyConnection(ProxyServices services, ListenerState listener, Socket client)
    {
        _services = services;
        _listener = listener;
        _client = client;
        Id = services.Tracker.NextId();
        ClientEndPoint = client.RemoteEndPoint is IPEndPoint remote
            ? new IPEndPoint(IpRanges.Normalize(remote.Address), remote.Port)
            : new IPEndPoint(IPAddress.None, 0);
    }

    public long Id { get; }

    /// <summary>The real client: the peer, or the source in its PROXY header.</summary>
    public IPEndPoint ClientEndPoint { get; private set; }

    public long BytesFromClient { get; private set; }

    public long BytesFromBackend { get; private set; }

    /// <summary>The byte counters of the route this connection was given; set before relaying starts.</summary>
    public RouteMetrics? RouteMetrics { get; private set; }

    public void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>Counts bytes the client sent on, for the access line and the route's byte counter.</summary>
    public void CountFromClient(int bytes)
    {
        BytesFromClient += bytes;
        RouteMetrics?.FromClient(bytes);
    }

    /// <summary>Counts bytes sent on to the client, for the access line and the route's byte counter.</summary>
    public void CountFromBackend(int bytes)
    {
        BytesFromBackend += bytes;
        RouteMetrics?.FromBackend(bytes);
    }

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
            case var phase when now >= Volatile.Read(ref _deadline):
                Abort(phase == PhaseHandshake ? ConnectionOutcome.HelloTimeout : ConnectionOutcome.BackendUnreachable);
                break;
        }
    }

    /// <summary>Ends the connection from outside (deadline, drain, relay error); the first outcome given wins.</summary>
    public void Abort(string outcome)
    {
        if (Interlocked.CompareExchange(ref _abortOutcome, outcome, null) is null)
        {
            // The sends that fail once the socket is closed below are not the client leaving.
            Volatile.Read(ref _l7)?.ServerClosing();
            // A reset on one side is passed on as a reset; a deadline or a drain closes with a FIN.
            var abortive = outcome == ConnectionOutcome.Reset;
            Close(_client, abortive);
            if (Volatile.Read(ref _backend) is { } backend)
            {
                Close(backend, abortive);
            }
        }
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

    private bool IsAborted => Volatile.Read(ref _abortOutcome) is not null;

    public async Task RunAsync()
    {
        var outcome = ConnectionOutcome.Ok;
        string? detail = null;
        string? serverName = null;
        RouteEntry? route = null;
        L7Connection? l7 = null;
        var tracked = false;
        var entered = false;
        byte[]? headerBuffer = null;
        _listener.Metrics.Accepted();
        try
        {
            entered = _listener.TryEnter();
            tracked = entered && _services.Tracker.TryAdd(this);
            if (!tracked)
            {
                outcome = ConnectionOutcome.Limit;
                Reset(_client);
                return;
            }

            // One deadline covers the PROXY header and the ClientHello (hello_timeout).
            EnterPhase(PhaseHandshake, _services.HelloTimeoutMs);
            ProxyHeader? proxyHeader = null;
            ReadOnlyMemory<byte> preRead = default;
            if (_listener.Listener.ProxyProtocol)
            {
                if (!_listener.IsTrustedProxy(ClientEndPoint.Address))
                {
                    outcome = ConnectionOutcome.UntrustedProxy;
                    detail = "peer is not in trusted_proxies";
                    _services.Metrics.FirewallBlocks.WithLabels(FirewallReason.UntrustedProxy).Inc();
                    Reset(_client);
                    return;
                }

                var read = await ProxyHeaderReader.ReadAsync(_client);
                headerBuffer = read.Buffer;
                if (read.Header is null)
                {
                    outcome = ConnectionOutcome.BadProxyHeader;
                    detail = $"peer {ClientEndPoint}: {read.Error}";
                    Reset(_client);
                    return;
                }

                proxyHeader = read.Header;
                if (proxyHeader.Command == ProxyCommand.Proxy && proxyHeader.Source is { } source)
                {
                    // LOCAL (a health check) and UNKNOWN carry no client: the peer stays the client.
                    ClientEndPoint = new IPEndPoint(IpRanges.Normalize(source.Address), source.Port);
                }

                preRead = read.Rest;
            }

            if (_services.Firewall.Check(ClientEndPoint.Address) is { } blocked)
            {
                outcome = ConnectionOutcome.Blocked(blocked);
                _services.Metrics.FirewallBlocks.WithLabels(blocked).Inc();
                Reset(_client);
                return;
            }

            var sniff = await HelloSniffer.SniffAsync(_client, preRead);
            if (headerBuffer is not null)
            {
                // The sniffer copied what followed the header; the header's buffer is done with.
                ArrayPool<byte>.Shared.Return(headerBuffer);
                headerBuffer = null;
            }

            try
            {
                if (sniff.Result.Status != HelloParseStatus.Complete)
                {
                    outcome = ConnectionOutcome.BadHello;
                    detail = sniff.Result.Error;
                    return;
                }

                _listener.Metrics.HelloComplete(Stopwatch.GetElapsedTime(_startTimestamp));
                serverName = sniff.Result.Hello.ServerName;
                if (_services.Logger.IsEnabled(LogLevel.Debug))
                {
                    Log.ClientHello(_services.Logger, Id, ClientEndPoint.ToString(), _listener.Addr, serverName ?? "", string.Join(',', sniff.Result.Hello.Alpn), sniff.Length);
                }

                route = _listener.Snapshot.Routes.Match(serverName);
                if (route is null)
                {
                    outcome = ConnectionOutcome.NoRoute;
                    return;
                }

                RouteMetrics = _listener.Metrics.ForRoute(route.Hostname);

                if (route.Mode == RouteMode.L7)
                {
                    // Kestrel reads the ClientHello again from the replayed bytes; the pooled buffer goes back now.
                    l7 = new L7Connection(
                        this,
                        _client,
                        sniff.Buffer.AsSpan(0, sniff.Length).ToArray(),
                        new L7RouteFeature(Id, _listener, serverName, route, ClientEndPoint),
                        _listener.LocalEndPoint);
                    Volatile.Write(ref _l7, l7);
                    // Counted as received now, as on an L4 route; the replay to Kestrel is not counted again.
                    CountFromClient(sniff.Length);
                }
                else
                {
                    EnterPhase(PhaseConnecting, _services.ConnectTimeoutMs);
                    var backend = BackendDialer.CreateSocket(route.BackendEndPoint);
                    // Published before the connect, with a full fence against Abort's: the deadline or a drain
                    // closes the dialing socket, which cancels a connect the backend never answers and frees the
                    // slot now, not when the kernel gives up on the SYNs.
                    Interlocked.Exchange(ref _backend, backend);
                    if (IsAborted)
                    {
                        detail = $"connect {route.BackendEndPoint}: cancelled";
                        return;
                    }

                    if (await BackendDialer.ConnectAsync(backend, route.BackendEndPoint) is { } error)
                    {
                        outcome = ConnectionOutcome.BackendUnreachable;
                        detail = Volatile.Read(ref _abortOutcome) == ConnectionOutcome.BackendUnreachable
                            ? $"connect {route.BackendEndPoint}: no answer within connect_timeout ({_services.ConnectTimeoutMs} ms)"
                            : error;
                        return;
                    }

                    if (IsAborted)
                    {
                        return;
                    }

                    if (route.Route.SendProxyProtocol)
                    {
                        await SendWithProxyHeaderAsync(backend, sniff, proxyHeader);
                    }
                    else
                    {
                        await backend.SendAsync(sniff.Buffer.AsMemory(0, sniff.Length), SocketFlags.None);
                    }

                    CountFromClient(sniff.Length);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sniff.Buffer);
            }

            if (l7 is not null)
            {
                // From here Kestrel reads and writes the socket (TLS, HTTP) and keeps its deadlines; this connection
                // stays tracked (limits, drain) and writes its access-log line once Kestrel is done with it.
                Volatile.Write(ref _phase, PhaseL7);
                if (!_services.L7Connections.TryHandOff(l7))
                {
                    outcome = ConnectionOutcome.Shutdown;
                    return;
                }

                await l7.Completed;
                if (l7.Route.TlsProtocol is { } tls)
                {
                    detail = $"tls={tls} requests={l7.Route.Requests}";
                    if (l7.Route.AnyRequestAbortedByClient)
                    {
                        // BytesOut says how much of the response reached the client's socket.
                        outcome = ConnectionOutcome.ClientAborted;
                    }
                }
                else
                {
                    outcome = ConnectionOutcome.TlsFailed;
                    detail = "the TLS handshake with the proxy did not complete";
                }

                return;
            }

            Touch();
            Volatile.Write(ref _phase, PhaseRelaying);
            await TcpRelay.RunAsync(this, _client, _backend!);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            outcome = ConnectionOutcome.Reset;
            detail ??= e.Message;
        }
        catch (Exception e)
        {
            outcome = ConnectionOutcome.Error;
            detail = e.Message;
            Log.UnexpectedError(_services.Logger, Id, e);
        }
        finally
        {
            outcome = Volatile.Read(ref _abortOutcome) ?? outcome;
            if (headerBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(headerBuffer);
            }

            _client.Dispose();
            _backend?.Dispose();
            if (tracked)
            {
                _services.Tracker.Remove(this);
            }

            if (entered)
            {
                _listener.Exit();
            }

            _listener.Metrics.Ended(outcome);
            try
            {
                if (_services.AccessLogger.IsEnabled(LogLevel.Information))
                {
                    Log.Access(
                        _services.AccessLogger,
                        _listener.Addr,
                        ClientEndPoint.ToString(),
                        serverName ?? "",
                        route?.Hostname ?? "",
                        route is null ? "" : route.Mode == RouteMode.L7 ? "l7" : "l4",
                        route?.Route.Backend ?? "",
                        BytesFromClient,
                        BytesFromBackend,
                        (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalMilliseconds,
                        outcome,
                        detail ?? "",
                        Id);
                }
            }
            finally
            {
                // Last: the drain waits for this, so the process does not exit before the line is written.
                _services.Tracker.Finished();
            }
        }
    }

    /// <summary>
    /// A PROXY v2 header for the backend (the real client, the address it connected to, TLVs for the SNI and the
    /// client's first ALPN choice: the one it prefers, as the negotiated one is unknown at L4), then the
    /// ClientHello, in one send so that a backend reading the header gets it whole in the common case.
    /// </summary>
    private async Task SendWithProxyHeaderAsync(Socket backend, SniffResult sniff, ProxyHeader? proxyHeader)
    {
        var destination = proxyHeader?.Destination
            ?? (_client.LocalEndPoint as IPEndPoint)
            ?? new IPEndPoint(IPAddress.Any, 0);
        var hello = sniff.Result.Hello;
        var alpn = hello.Alpn.Length > 0 ? hello.Alpn[0] : null;
        var headerLength = ProxyHeaderWriter.GetV2Length(ClientEndPoint, destination, hello.ServerName, alpn);
        var buffer = ArrayPool<byte>.Shared.Rent(headerLength + sniff.Length);
        try
        {
            ProxyHeaderWriter.WriteV2(buffer, ClientEndPoint, destination, hello.ServerName, alpn);
            sniff.Buffer.AsSpan(0, sniff.Length).CopyTo(buffer.AsSpan(headerLength));
            await backend.SendAsync(buffer.AsMemory(0, headerLength + sniff.Length), SocketFlags.None);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void EnterPhase(int phase, long timeoutMs)
    {
        Volatile.Write(ref _deadline, Environment.TickCount64 + timeoutMs);
        Volatile.Write(ref _phase, phase);
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
