using McProxy.Routing;

namespace McProxy.Http.Hosting;

/// <summary>
/// The L7 route target: the connection goes to the in-process Kestrel (<see cref="L7ConnectionQueue"/>) as an
/// <see cref="L7Connection"/> that replays the sniffed ClientHello. Kestrel reads and writes the socket (TLS, HTTP)
/// and keeps the deadlines; this waits until Kestrel is done with it and says how the connection went.
/// </summary>
internal sealed class L7HandOffTarget(L7ConnectionQueue queue) : IRouteTarget
{
    public async Task<ConnectionResult> ServeAsync(RoutedConnection connection)
    {
        var view = connection.Connection;
        // Kestrel reads the ClientHello again from the replayed bytes; the pooled buffer goes back now.
        var l7 = new L7Connection(
            view,
            connection.Client,
            connection.HelloBytes.ToArray(),
            new L7RouteFeature(view.Id, connection.Listener, connection.Hello.ServerName, connection.Route, view.ClientEndPoint),
            connection.Listener.LocalEndPoint);
        // Counted as received now, as on an L4 route; the replay to Kestrel is not counted again.
        view.CountFromClient(connection.HelloLength);
        connection.ReleaseHello();

        // From here Kestrel keeps the deadlines; the connection stays tracked (limits, drain) and writes its
        // access-log line once Kestrel is done with it.
        connection.Phases.EnterHandOff(l7.ServerClosing);
        if (!queue.TryHandOff(l7))
        {
            return new ConnectionResult(ConnectionOutcome.Shutdown);
        }

        await l7.Completed;
        if (l7.Route.TlsProtocol is not { } tls)
        {
            return new ConnectionResult(ConnectionOutcome.TlsFailed, "the TLS handshake with the proxy did not complete");
        }

        // BytesOut says how much of the response reached the client's socket.
        var outcome = l7.Route.AnyRequestAbortedByClient ? ConnectionOutcome.ClientAborted : ConnectionOutcome.Ok;
        var detail = $"tls={tls} requests={l7.Route.Requests}";
        return new ConnectionResult(outcome, l7.ReleasedWithoutKestrel ? $"{detail}; ended without Kestrel, which still held it {L7Connection.ReleaseBound.TotalSeconds:0} s after the connection closed" : detail);
    }
}
