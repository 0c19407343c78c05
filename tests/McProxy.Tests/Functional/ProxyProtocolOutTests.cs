using System.Net;
using System.Net.Sockets;
using McProxy.ProxyProtocol;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>SPEC §2 step 6: an L4 route with send_proxy_protocol puts a v2 header before the replayed ClientHello.</summary>
public sealed class ProxyProtocolOutTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SendProxyProtocolRoute_WritesV2Header_WithClientSniAndAlpn_ThenTheClientHelloUntouched(bool behindUpstream)
    {
        await using var backend = new RawBackend();
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
            proxy_protocol = {(behindUpstream ? "true" : "false")}
            trusted_proxies = ["127.0.0.1"]
              [[listeners.routes]]
              hostname = "raw.example.test"
              backend = "{backend.Address}"
              send_proxy_protocol = true
            """);
        var hello = ClientHelloBuilder.Build("raw.example.test", ["h2", "http/1.1"]);
        var upstream = behindUpstream ? ProxyProtocolInTests.V2("2001:db8::5", 40500) : [];

        IPEndPoint client;
        using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            client = (IPEndPoint)socket.LocalEndPoint!;
            await socket.SendAsync((byte[])[.. upstream, .. hello], SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            var received = await backend.Received.Task.WaitAsync(TimeSpan.FromSeconds(20));

            var result = ProxyHeaderParser.TryParse(received, out var header);
            Assert.Equal(ProxyParseStatus.Complete, result.Status);
            Assert.Equal(2, header!.Version);
            Assert.Equal(ProxyCommand.Proxy, header.Command);
            Assert.Equal(behindUpstream ? new IPEndPoint(IPAddress.Parse("2001:db8::5"), 40500) : client, header.Source);
            Assert.Equal(behindUpstream ? new IPEndPoint(IPAddress.IPv6Loopback, 443) : proxy.EndPoint(), header.Destination);
            Assert.Equal("raw.example.test", header.Authority);
            Assert.Equal("h2", header.Alpn);
            Assert.Equal(hello, received[result.Consumed..]);
        }

        var access = await proxy.Log.WaitForAccessAsync("ok");
        Assert.Equal(hello.Length, long.Parse(access.Get("BytesIn")!, System.Globalization.CultureInfo.InvariantCulture));
    }
}
