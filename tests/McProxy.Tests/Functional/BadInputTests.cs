using System.Net.Sockets;
using McProxy.Tests.TestInfrastructure;

using McProxy.Tests.Tls;

namespace McProxy.Tests.Functional;

/// <summary>SPEC §7: bad input gets a clear answer (a close, an outcome in the log) and the server goes on serving.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TestCertificates _certs = new();
    private TlsBackend _backend = null!;
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _backend = new TlsBackend("good", _certs.IssueServer("good.example.test"));
        _proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "good.example.test"
              backend = "{_backend.Address}"
              [[listeners.routes]]
              hostname = "down.example.test"
              backend = "127.0.0.1:1"
            [proxy]
            hello_timeout = "1s"
            """);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
        _certs.Dispose();
    }

    public static TheoryData<string, byte[]> BadHellos() => new()
    {
        { "http request", "GET / HTTP/1.1\r\nHost: good.example.test\r\n\r\n"u8.ToArray() },
        { "sslv2 hello", [0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, 0, 0, 0, 0] },
        { "oversized hello", ClientHelloBuilder.Build("good.example.test", padding: 17000, recordSize: 4000) },
        { "bad host name", ClientHelloBuilder.Build("good example.test") },
        { "random bytes", Enumerable.Range(0, 600).Select(i => (byte)(i * 7919)).ToArray() },
    };

    [Theory]
    [MemberData(nameof(BadHellos))]
    public async Task BadHello_IsClosedAndCounted_AndTheNextClientIsServed(string description, byte[] input)
    {
        using (var socket = await RawClient.ConnectAsync(_proxy.EndPoint()))
        {
            try
            {
                await socket.SendAsync(input);
            }
            catch (SocketException)
            {
                // The proxy may close before it has read everything, which is the point.
            }

            Assert.NotEqual("timeout", await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(10)));
        }

        var access = await _proxy.Log.WaitForAccessAsync("bad_hello");
        Assert.False(string.IsNullOrEmpty(access.Get("Detail")), description);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task TruncatedHello_ClientCloses_IsCountedAsBadHello()
    {
        using (var socket = await RawClient.ConnectAsync(_proxy.EndPoint()))
        {
            await socket.SendAsync(ClientHelloBuilder.Build("good.example.test").AsMemory(0, 40));
            socket.Shutdown(SocketShutdown.Send);
            await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(10));
        }

        var access = await _proxy.Log.WaitForAccessAsync("bad_hello");
        Assert.Contains("incomplete ClientHello", access.Get("Detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilentClient_IsClosedAtHelloTimeout()
    {
        using var socket = await RawClient.ConnectAsync(_proxy.EndPoint());

        // Within a bound far above the 1 s timeout, so the test ends on its own if the proxy never closes.
        Assert.Equal("eof", await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(20)));

        var access = await _proxy.Log.WaitForAccessAsync("hello_timeout");
        Assert.Equal("", access.Get("Sni"));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task SlowlorisClient_OneByteAtATime_IsClosedAtHelloTimeout()
    {
        var hello = ClientHelloBuilder.Build("good.example.test");
        using var socket = await RawClient.ConnectAsync(_proxy.EndPoint());
        var closed = RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(20));
        for (var i = 0; i < hello.Length && !closed.IsCompleted; i++)
        {
            try
            {
                await socket.SendAsync(hello.AsMemory(i, 1));
            }
            catch (SocketException)
            {
                break;
            }

            await Task.WhenAny(closed, Task.Delay(250));
        }

        Assert.True(closed.IsCompleted, "the proxy kept a one-byte-at-a-time client past hello_timeout");
        await _proxy.Log.WaitForAccessAsync("hello_timeout");
    }

    [Fact]
    public async Task BackendDown_ClientIsClosed_AndCountedAsBackendUnreachable()
    {
        using var socket = await RawClient.ConnectAsync(_proxy.EndPoint());
        await socket.SendAsync(ClientHelloBuilder.Build("down.example.test"));

        Assert.NotEqual("timeout", await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(10)));
        var access = await _proxy.Log.WaitForAccessAsync("backend_unreachable");
        Assert.Equal("down.example.test", access.Get("Route"));
        Assert.Contains("ConnectionRefused", access.Get("Detail"), StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task RealClientHellos_SplitAcrossTcpSegments_AreReplayedToTheBackendByteForByte()
    {
        await using var proxy = await TestProxy.StartAsync("""
            [[listeners]]
            addr = "127.0.0.1:0"
            """);
        foreach (var name in ClientHelloFixture.Names)
        {
            var fixture = ClientHelloFixture.Load(name);
            foreach (var split in new[] { 1, 5, fixture.Bytes.Length / 2, fixture.Bytes.Length - 1 })
            {
                await using var backend = new RawBackend();
                RouteEverythingTo(proxy, backend.Address, fixture.Sni);
                using var socket = await RawClient.ConnectAsync(proxy.EndPoint());
                await socket.SendAsync(fixture.Bytes.AsMemory(0, split));
                await Task.Delay(20);
                await socket.SendAsync(fixture.Bytes.AsMemory(split));
                await socket.SendAsync("tail"u8.ToArray());
                socket.Shutdown(SocketShutdown.Send);

                var received = await backend.Received.Task.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal([.. fixture.Bytes, .. "tail"u8.ToArray()], received);
            }
        }
    }

    private async Task AssertStillServingAsync()
    {
        var client = await TlsTestClient.ConnectAsync(_proxy.EndPoint(), "good.example.test", _certs);
        Assert.StartsWith("hello from good", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
        await client.CloseGracefullyAsync();
    }

    /// <summary>Points the listener at a new backend through its live route table, as the admin API will.</summary>
    private static void RouteEverythingTo(TestProxy proxy, string backend, string? serverName)
    {
        var route = new McProxy.Routing.RouteEntry(new McProxy.Model.RouteSettings { Hostname = serverName ?? "nosni.example.test", Backends = [backend] });
        proxy.Server.Routing.Listeners[0].Swap(new McProxy.Routing.ListenerSnapshot(new McProxy.Routing.RouteTable([route], route.Hostname), McProxy.Routing.L7PolicyTable.Empty));
    }
}
