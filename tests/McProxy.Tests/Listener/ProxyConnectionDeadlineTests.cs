using System.Net;
using System.Net.Sockets;
using McProxy.Config;
using McProxy.Listener;
using McProxy.Model;
using McProxy.Routing;
using Microsoft.Extensions.Logging.Abstractions;

namespace McProxy.Tests.Listener;

/// <summary>
/// The sweeper checks every tracked connection, from the moment it is tracked. A connection whose hello deadline
/// was not yet written (0, long past) was closed as <c>hello_timeout</c> a few milliseconds after its accept (seen
/// once in CI under 200 connections at once).
/// </summary>
public sealed class ProxyConnectionDeadlineTests
{
    [Fact]
    public void CheckDeadline_BeforeAdmission_DoesNotAbort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connection = NewConnection(socket);

        connection.CheckDeadline(Environment.TickCount64);

        Assert.Null(((IConnectionPhases)connection).AbortOutcome);
    }

    [Fact]
    public void CheckDeadline_FarFuture_AbortsAsHelloTimeout()
    {
        // The same connection, swept after any deadline could have passed: the handshake phase is judged, so the
        // test above is not passing because nothing is ever checked.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connection = NewConnection(socket);

        connection.CheckDeadline(long.MaxValue);

        Assert.Equal(ConnectionOutcome.HelloTimeout, ((IConnectionPhases)connection).AbortOutcome);
    }

    private static ProxyConnection NewConnection(Socket socket)
    {
        var settings = new ProxySettings();
        var tracker = new ConnectionTracker(0, settings.HelloTimeout);
        var services = new ProxyServices(settings, tracker, NullLoggerFactory.Instance, new NoTarget(), new NoTarget());
        var listener = new ListenerState(new ListenerSettings { Addr = "127.0.0.1:0" }, new IPEndPoint(IPAddress.Loopback, 0), ListenerSnapshot.Empty);
        return new ProxyConnection(services, listener, socket);
    }

    private sealed class NoTarget : IRouteTarget
    {
        public Task<ConnectionResult> ServeAsync(RoutedConnection connection) => throw new InvalidOperationException("not routed in these tests");
    }
}
