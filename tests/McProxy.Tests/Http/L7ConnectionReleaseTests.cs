using System.Net;
using System.Net.Sockets;
using McProxy.Http;
using McProxy.Http.Hosting;
using McProxy.Model;
using McProxy.Routing;

namespace McProxy.Tests.Http;

/// <summary>
/// An L7 connection's access line waits for Kestrel to let go of it (<see cref="L7Connection.Completed"/>). Once the
/// proxy has closed the connection itself (the drain's end), that wait is bounded: a connection Kestrel never
/// releases still gets its line before the process exits. Here no Kestrel takes the connection at all.
/// </summary>
public sealed class L7ConnectionReleaseTests
{
    [Fact]
    public async Task Completed_WaitsForKestrel_UntilTheProxyClosesTheConnection_ThenWithinTheBound()
    {
        var (client, server) = await ConnectedPairAsync();
        using var clientSocket = client;
        using var serverSocket = server;
        var connection = NewConnection(server);

        // Kestrel holds it: nothing completes it, however long.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(connection.Completed.IsCompleted);

        var closing = System.Diagnostics.Stopwatch.StartNew();
        connection.ServerClosing();
        await connection.Completed.WaitAsync(L7Connection.ReleaseBound + TimeSpan.FromSeconds(30));
        Assert.InRange(closing.Elapsed, L7Connection.ReleaseBound - TimeSpan.FromMilliseconds(100), L7Connection.ReleaseBound + TimeSpan.FromSeconds(30));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task Completed_AtOnce_WhenKestrelDisposesTheConnection()
    {
        var (client, server) = await ConnectedPairAsync();
        using var clientSocket = client;
        using var serverSocket = server;
        var connection = NewConnection(server);
        client.Shutdown(SocketShutdown.Send);

        connection.ServerClosing();
        var disposing = System.Diagnostics.Stopwatch.StartNew();
        await connection.DisposeAsync();
        await connection.Completed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(disposing.Elapsed < L7Connection.ReleaseBound, $"completed after {disposing.Elapsed}, not by the disposal");
    }

    /// <summary>A loopback connection: the client's socket and the accepted one (the proxy's side).</summary>
    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptSocketAsync();
        await client.ConnectAsync(listener.LocalEndpoint);
        return (client, await accepting);
    }

    private static L7Connection NewConnection(Socket socket)
    {
        var route = new RouteEntry(new RouteSettings { Hostname = "edge.example.test", Backends = ["127.0.0.1:9"], Mode = RouteMode.L7 });
        var listener = new ListenerState(new ListenerSettings { Addr = "127.0.0.1:0" }, new IPEndPoint(IPAddress.Loopback, 0), ListenerSnapshot.Empty);
        var view = new View((IPEndPoint)socket.RemoteEndPoint!);
        return new L7Connection(view, socket, [], new L7RouteFeature(view.Id, listener, "edge.example.test", route, view.ClientEndPoint), socket.LocalEndPoint);
    }

    private sealed class View(IPEndPoint client) : IConnectionView
    {
        public long Id => 1;

        public IPEndPoint ClientEndPoint { get; } = client;

        public void CountFromClient(int bytes)
        {
        }

        public void CountFromBackend(int bytes)
        {
        }

        public void Touch()
        {
        }

        public void Abort(string outcome)
        {
        }
    }
}
