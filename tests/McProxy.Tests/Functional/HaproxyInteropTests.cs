using System.Net;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// PROXY protocol against a peer no one here wrote: HAProxy sends v1 and v2 headers to our listener, and accepts
/// the v2 header an L4 route with send_proxy_protocol writes, naming the same client we do.
/// </summary>
public sealed class HaproxyInteropTests : IAsyncLifetime
{
    private const string Defaults = """
        global
          log stdout format raw local0 info
        defaults
          mode tcp
          log global
          timeout connect 5s
          timeout client 30s
          timeout server 30s
        """;

    private readonly TestCertificates _certs = new();
    private TlsBackend _app = null!;
    private TlsBackend _other = null!;

    public Task InitializeAsync()
    {
        _app = new TlsBackend("app", _certs.IssueServer("app.example.test"));
        _other = new TlsBackend("other", _certs.IssueServer("other.example.test"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _other.DisposeAsync();
        _certs.Dispose();
    }

    [Fact]
    public async Task HaproxySendProxyV1AndV2_InFrontOfOurListener_ReachTheRightRoute_WithTheRealClientAddress()
    {
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
            proxy_protocol = true
            trusted_proxies = ["127.0.0.1/32"]
              [[listeners.routes]]
              hostname = "app.example.test"
              backend = "{_app.Address}"
              [[listeners.routes]]
              hostname = "other.example.test"
              backend = "{_other.Address}"
            """);
        var ours = proxy.EndPoint().Port;
        var v1Port = PeerProcess.FreePort();
        var v2Port = PeerProcess.FreePort();
        await using var haproxy = await PeerProcess.StartHaproxyAsync($"""
            {Defaults}
            frontend fe_v1
              bind 127.0.0.1:{v1Port}
              default_backend be_v1
            backend be_v1
              server mc 127.0.0.1:{ours} send-proxy
            frontend fe_v2
              bind 127.0.0.1:{v2Port}
              default_backend be_v2
            backend be_v2
              server mc 127.0.0.1:{ours} send-proxy-v2
            """, v1Port, v2Port);

        foreach (var (port, serverName, backend) in new[] { (v1Port, "app.example.test", "app"), (v2Port, "other.example.test", "other") })
        {
            var client = await TlsTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), serverName, _certs);
            var clientEndPoint = client.Socket.LocalEndPoint!.ToString();
            var greeting = await client.ReadUntilAsync("\n");
            await client.WriteAsync("through haproxy\n");
            await client.ReadUntilAsync("through haproxy\n");
            await client.CloseGracefullyAsync();

            Assert.Equal($"hello from {backend} sni={serverName}\n", greeting);
            // HAProxy connects to us from a port of its own: only its header can tell us the client's. The second
            // client may be given the first one's freed local port, so its line is also told apart by its SNI.
            var access = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Client") == clientEndPoint && e.Get("Sni") == serverName);
            Assert.Equal("ok", access.Get("Outcome"));
            Assert.Equal(serverName, access.Get("Route"));
        }
    }

    public static TheoryData<string, byte[], string> Upstreams() => new()
    {
        { "a v1 header from an edge proxy", ProxyProtocolInTests.V1("203.0.113.77", 41000), "203.0.113.77:41000" },
        { "a v2 header with an IPv6 client", ProxyProtocolInTests.V2("2001:db8::77", 41001), "2001:db8::77:41001" },
    };

    [Theory]
    [MemberData(nameof(Upstreams))]
    public async Task OurV2Header_OnASendProxyProtocolRoute_IsAcceptedByHaproxy_WithTheClientAndTheSni(string description, byte[] upstream, string expectedClient)
    {
        var haproxyPort = PeerProcess.FreePort();
        await using var haproxy = await PeerProcess.StartHaproxyAsync($"""
            {Defaults}
            frontend fe_pp
              bind 127.0.0.1:{haproxyPort} accept-proxy
              log-format "pp client=%ci:%cp authority=%[fc_pp_authority] end"
              default_backend be_app
            backend be_app
              server app {_app.Address}
            """, haproxyPort);
        // An origin behind an edge: the client's address comes in a PROXY header and goes out in ours.
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
            proxy_protocol = true
            trusted_proxies = ["127.0.0.1"]
              [[listeners.routes]]
              hostname = "app.example.test"
              backend = "127.0.0.1:{haproxyPort}"
              send_proxy_protocol = true
            """);

        var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "app.example.test", _certs, preamble: upstream);
        var greeting = await client.ReadUntilAsync("\n");
        await client.CloseGracefullyAsync();

        Assert.Equal("hello from app sni=app.example.test\n", greeting);
        var line = await haproxy.WaitForLineAsync($"pp client={expectedClient} ");
        Assert.True(line.EndsWith("authority=app.example.test end", StringComparison.Ordinal), $"{description}: {line}");
    }
}
