using System.Net;
using System.Net.Sockets;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// A config written in an order TOML 1.0 allows but a careless reader loses: <c>[[listeners]]</c>, then
/// <c>[proxy]</c>, then another <c>[[listeners]]</c> whose <c>[[listeners.routes]]</c> comes after <c>[log]</c>.
/// The real `mc-proxy server` starts both listeners, and each routes a connection to its own backend.
/// </summary>
public sealed class InterleavedConfigTests : IDisposable
{
    private readonly string _directory = TestProxy.CreateTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ListenersInterleavedWithOtherTables_BothStart_AndEachRoutesAConnection()
    {
        await using var backendA = new RawBackend();
        await using var backendB = new RawBackend();
        var portA = PeerProcess.FreePort();
        var portB = PeerProcess.FreePort();
        var configPath = Path.Combine(_directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(configPath, $"""
            [database]
            path = "mc-proxy.db"
            [[listeners]]
            addr = "127.0.0.1:{portA}"
              [[listeners.routes]]
              hostname = "a.example.test"
              backend = "{backendA.Address}"
            [proxy]
            shutdown_timeout = "5s"
            [[listeners]]
            addr = "127.0.0.1:{portB}"
            [log]
            level = "info"
            [[listeners.routes]]
            hostname = "b.example.test"
            backend = "{backendB.Address}"
            """);

        using var server = ServerProcess.Start("server", "-c", configPath);
        await server.WaitForLineAsync(l => IsListening(l, portA));
        await server.WaitForLineAsync(l => IsListening(l, portB));

        await AssertRoutedAsync(portA, "a.example.test", backendA);
        await AssertRoutedAsync(portB, "b.example.test", backendB);
        Assert.Equal(0, await server.TerminateAsync());
    }

    private static bool IsListening(string line, int port) =>
        line.Contains("\"EventId\":10,", StringComparison.Ordinal) && line.Contains($"127.0.0.1:{port}\"", StringComparison.Ordinal);

    /// <summary>Sends a ClientHello for <paramref name="hostname"/> to the listener and half-closes; the backend must receive exactly it.</summary>
    private static async Task AssertRoutedAsync(int port, string hostname, RawBackend backend)
    {
        var hello = ClientHelloBuilder.Build(hostname);
        using var socket = await RawClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(hello);
        socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(hello, await backend.Received.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
