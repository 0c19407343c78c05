using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using McProxy.Metrics;
using McProxy.Model;
using McProxy.Net;
using McProxy.Routing;
using McProxy.Tls;

namespace McProxy.Listener;

/// <summary>
/// One accepted connection, from admission to the access-log line, in steps: admit (the limits, the PROXY header
/// from a trusted peer, the firewall), sniff the ClientHello, route by its server name, then hand the connection to
/// its route's target (<see cref="IRouteTarget"/>: the L4 relay or the L7 hand-off), which sees it only through
/// <see cref="IConnectionView"/> and <see cref="IConnectionPhases"/>. <see cref="RunAsync"/> is the one place that
/// writes the access line. Deadlines are checked by <see cref="ConnectionTracker"/>, which calls
/// <see cref="Abort"/>; closing the sockets is what wakes the pending operation.
/// </summary>
internal sealed partial class ProxyConnection : IConnectionView, IConnectionPhases
{
    private readonly ProxyServices _services;
    private readonly ListenerState _listener;
    private readonly Socket _client;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private bool _tracked;
    private string? _serverName;
    private RouteEntry? _route;

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

    /// <summary>The byte counters of the route this connection was given; set before its target starts.</summary>
    public RouteMetrics? RouteMetrics { get; private set; }

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

    public async Task RunAsync()
    {
        _listener.Metrics.Accepted();
        var result = ConnectionResult.Ok;
        try
        {
            // :: Step 1: admit (the limits, the PROXY header, the firewall); the socket is reset when refused.
            var admission = await AdmitAsync();
            SniffResult sniff;
            try
            {
                if (admission.Refusal is { } refusal)
                {
                    result = refusal;
                    return;
                }

                // :: Step 2: sniff the ClientHello, from the bytes that came after the PROXY header on.
                sniff = await HelloSniffer.SniffAsync(_client, admission.PreRead);
            }
            finally
            {
                // The sniffer copied what followed the header; the header's buffer is done with.
                admission.ReturnBuffer();
            }

            RoutedConnection? routed = null;
            try
            {
                // :: Step 3: route by the ClientHello's server name.
                if (Route(sniff, out var refusal) is not { } route)
                {
                    result = refusal;
                    return;
                }

                // :: Step 4: the route's target serves the connection to its end.
                routed = new RoutedConnection(this, this, _client, _listener, route, sniff.Result.Hello, sniff.Buffer, sniff.Length, admission.OriginalDestination);
                var target = route.Mode == RouteMode.L7 ? _services.L7Target : _services.L4Target;
                result = await target.ServeAsync(routed);
            }
            finally
            {
                // A target gives the ClientHello's buffer back as soon as it has replayed it; here on any other way out.
                if (routed is null)
                {
                    ArrayPool<byte>.Shared.Return(sniff.Buffer);
                }
                else
                {
                    routed.ReleaseHello();
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            result = new ConnectionResult(ConnectionOutcome.Reset, e.Message);
        }
        catch (Exception e)
        {
            result = new ConnectionResult(ConnectionOutcome.Error, e.Message);
            Log.UnexpectedError(_services.Logger, Id, e);
        }
        finally
        {
            End(result);
        }
    }

    /// <summary>
    /// The route for a complete ClientHello's server name; null, with <paramref name="refusal"/> saying why, for a
    /// ClientHello that is not one or a name no route matches.
    /// </summary>
    private RouteEntry? Route(in SniffResult sniff, out ConnectionResult refusal)
    {
        if (sniff.Result.Status != HelloParseStatus.Complete)
        {
            refusal = new ConnectionResult(ConnectionOutcome.BadHello, sniff.Result.Error);
            return null;
        }

        _listener.Metrics.HelloComplete(Stopwatch.GetElapsedTime(_startTimestamp));
        var hello = sniff.Result.Hello;
        _serverName = hello.ServerName;
        if (_services.Logger.IsEnabled(LogLevel.Debug))
        {
            Log.ClientHello(_services.Logger, Id, ClientEndPoint.ToString(), _listener.Addr, _serverName ?? "", string.Join(',', hello.Alpn), sniff.Length);
        }

        _route = _listener.Snapshot.Routes.Match(_serverName);
        if (_route is null)
        {
            refusal = new ConnectionResult(ConnectionOutcome.NoRoute);
            return null;
        }

        RouteMetrics = _listener.Metrics.ForRoute(_route.Hostname);
        refusal = ConnectionResult.Ok;
        return _route;
    }

    /// <summary>
    /// Closes the sockets, frees the connection's slots, counts its outcome and writes its access line: the outcome
    /// of an abort (deadline, drain, reset) if there was one, else <paramref name="result"/>'s.
    /// </summary>
    private void End(ConnectionResult result)
    {
        var outcome = Volatile.Read(ref _abortOutcome) ?? result.Outcome;
        _client.Dispose();
        _backend?.Dispose();
        if (_tracked)
        {
            _services.Tracker.Remove(this);
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
                    _serverName ?? "",
                    _route?.Hostname ?? "",
                    _route is null ? "" : _route.Mode == RouteMode.L7 ? "l7" : "l4",
                    // L4: the member dialed last (the one used, when connected); L7 picks per request.
                    Volatile.Read(ref _backendAddress) ?? (_route?.Mode == RouteMode.L7 ? _route.Route.Backend : ""),
                    BytesFromClient,
                    BytesFromBackend,
                    (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalMilliseconds,
                    outcome,
                    result.Detail ?? "",
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
