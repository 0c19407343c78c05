using System.Net.Sockets;
using McProxy.Listener;
using McProxy.Tests.TestInfrastructure;
using McProxy.Tests.Tls;
using McProxy.Tls;

namespace McProxy.Tests.Functional;

/// <summary>
/// The ClientHello's edges end to end: long ALPN lists (RFC 7301 sets no cap, HAProxy routes them) are routed,
/// and a hello that fills the sniffer's buffer without completing is refused at once with a true detail.
/// </summary>
public sealed class ClientHelloEdgeTests
{
    [Theory]
    [InlineData("openssl-alpn-17", "alpn17.example.com")]
    [InlineData("openssl-alpn-200", "alpn200.example.com")]
    public async Task RealHelloWithMoreThan16AlpnProtocols_IsRoutedAndReplayedByteForByte(string fixtureName, string hostname)
    {
        var fixture = ClientHelloFixture.Load(fixtureName);
        await using var backend = new RawBackend();
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{hostname}"
              backend = "{backend.Address}"
            """);

        using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            await socket.SendAsync(fixture.Bytes);
            socket.Shutdown(SocketShutdown.Send);
            Assert.Equal(fixture.Bytes, await backend.Received.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        }

        var access = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Sni") == hostname);
        Assert.Equal("ok", access.Get("Outcome"));
        var hello = await proxy.Log.WaitForAsync(e => e.Message.Contains("ClientHello sni=" + hostname, StringComparison.Ordinal));
        Assert.Equal(string.Join(',', fixture.Alpn.Take(ClientHelloParser.MaxAlpnKept)), hello.Get("Alpn"));
    }

    [Fact]
    public async Task IncompleteHelloFillingTheSniffBuffer_IsRefusedAtOnce_NotAtHelloTimeout()
    {
        await using var proxy = await TestProxy.StartAsync("""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "big.example.test"
              backend = "127.0.0.1:1"
            [proxy]
            hello_timeout = "5m"
            """);
        var size = ClientHelloBuilder.Message("big.example.test").Length;
        var message = ClientHelloBuilder.Message("big.example.test", padding: ClientHelloParser.MaxHandshakeLength + 4 - size - 4);
        var bytes = ClientHelloBuilder.Frame(message, 16)[..HelloSniffer.MaxBufferSize];

        // The client keeps its side open: only the proxy's refusal can end this connection before hello_timeout (5 min).
        using var socket = await RawClient.ConnectAsync(proxy.EndPoint());
        await socket.SendAsync(bytes);
        Assert.Equal("eof", await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(30)));

        var access = await proxy.Log.WaitForAccessAsync("bad_hello");
        Assert.StartsWith("ClientHello larger than 16 KiB", access.Get("Detail"), StringComparison.Ordinal);
    }
}
