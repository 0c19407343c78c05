using System.Net;
using System.Net.Sockets;
using System.Text;
using McProxy.ProxyProtocol;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>SPEC §2 step 2: a PROXY header from a trusted upstream names the client; anything else is reset.</summary>
public sealed class ProxyProtocolInTests : IAsyncLifetime
{
    private const string Trusting = "127.0.0.1:0";
    private const string Distrusting = "[::1]:0";
    private readonly TestCertificates _certs = new();
    private TlsBackend _backend = null!;
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _backend = new TlsBackend("origin", _certs.IssueServer("app.example.test"));
        _proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "{Trusting}"
            proxy_protocol = true
            trusted_proxies = ["127.0.0.0/8"]
              [[listeners.routes]]
              hostname = "app.example.test"
              backend = "{_backend.Address}"
            [[listeners]]
            addr = "{Distrusting}"
            proxy_protocol = true
            trusted_proxies = ["10.0.0.0/8", "fd00::/8"]
              [[listeners.routes]]
              hostname = "app.example.test"
              backend = "{_backend.Address}"
            [firewall]
            blocked_ips = ["203.0.113.66"]
            [metrics]
            addr = "127.0.0.1:0"
            [proxy]
            hello_timeout = "5s"
            """);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
        _certs.Dispose();
    }

    internal static byte[] V1(string source, int port) =>
        Encoding.ASCII.GetBytes(source.Contains(':', StringComparison.Ordinal)
            ? $"PROXY TCP6 {source} ::1 {port} 443\r\n"
            : $"PROXY TCP4 {source} 127.0.0.1 {port} 443\r\n");

    internal static byte[] V2(string source, int port, string? authority = null)
    {
        var from = new IPEndPoint(IPAddress.Parse(source), port);
        var to = new IPEndPoint(from.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, 443);
        var header = new byte[ProxyHeaderWriter.MaxWrittenLength];
        return header[..ProxyHeaderWriter.WriteV2(header, from, to, authority, null)];
    }

    public static TheoryData<string, byte[], string> Headers() => new()
    {
        { "v1 tcp4", V1("203.0.113.7", 40001), "203.0.113.7:40001" },
        { "v1 tcp6", V1("2001:db8::7", 40002), "[2001:db8::7]:40002" },
        { "v2 inet", V2("198.51.100.7", 40003), "198.51.100.7:40003" },
        { "v2 inet6 with an authority TLV", V2("2001:db8::8", 40004, "app.example.test"), "[2001:db8::8]:40004" },
        { "v2 inet6, IPv4-mapped source", V2("::ffff:198.51.100.9", 40005), "198.51.100.9:40005" },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public async Task Header_FromTrustedPeer_IsRouted_WithItsSourceAsTheClient(string description, byte[] header, string client)
    {
        var connectionsBefore = _backend.Connections;

        var tls = await TlsTestClient.ConnectAsync(_proxy.EndPoint(Trusting), "app.example.test", _certs, preamble: header);
        var greeting = await tls.ReadUntilAsync("\n");
        await tls.WriteAsync("ping\n");
        await tls.ReadUntilAsync("ping\n");
        await tls.CloseGracefullyAsync();

        Assert.Equal("hello from origin sni=app.example.test\n", greeting);
        Assert.Equal(connectionsBefore + 1, _backend.Connections);
        var access = await _proxy.Log.WaitForAccessAsync("ok");
        Assert.True(client == access.Get("Client"), $"{description}: logged {access.Get("Client")}");
    }

    [Fact]
    public async Task V2Local_KeepsThePeerAsTheClient()
    {
        // A LOCAL header (an upstream's health check) carries no client.
        byte[] local = [.. ProxyV2Format.Signature, 0x20, 0x00, 0x00, 0x00];

        var tls = await TlsTestClient.ConnectAsync(_proxy.EndPoint(Trusting), "app.example.test", _certs, preamble: local);
        var peer = (IPEndPoint)tls.Socket.LocalEndPoint!;
        await tls.ReadUntilAsync("\n");
        await tls.CloseGracefullyAsync();

        var access = await _proxy.Log.WaitForAccessAsync("ok");
        Assert.Equal($"127.0.0.1:{peer.Port}", access.Get("Client"));
    }

    [Fact]
    public async Task Header_FromUntrustedPeer_IsReset_Counted_AndTheServerGoesOn()
    {
        Assert.Equal(("reset", 0), await RawClient.SendAndReadEndAsync(_proxy.EndPoint(Distrusting), [.. V1("203.0.113.7", 40001), .. ClientHelloBuilder.Build("app.example.test")]));

        var access = await _proxy.Log.WaitForAccessAsync("untrusted_proxy");
        Assert.StartsWith("[::1]:", access.Get("Client"), StringComparison.Ordinal);
        Assert.Equal("", access.Get("Sni"));
        Assert.Equal(0, _backend.Connections);
        var metrics = await PrometheusScrape.GetAsync(_proxy.Server.MetricsEndPoint!);
        Assert.Equal(1, metrics.Value("mcproxy_firewall_blocks_total", ("reason", "untrusted_proxy")));
        Assert.Equal(1, metrics.Value("mcproxy_connections_total", ("listener", Distrusting), ("outcome", "untrusted_proxy")));
        await AssertStillServingAsync();
    }

    public static TheoryData<string, byte[]> MalformedHeaders() => new()
    {
        { "v1 with a bad address", "PROXY TCP4 1.2.3 127.0.0.1 1 2\r\n"u8.ToArray() },
        { "v1 without CRLF in 107 bytes", Encoding.ASCII.GetBytes("PROXY TCP4 " + new string('1', 120)) },
        { "a TLS ClientHello where the header should be", ClientHelloBuilder.Build("app.example.test") },
        { "v2 with version 3", [.. ProxyV2Format.Signature, 0x31, 0x11, 0x00, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2] },
        { "v2 inet with a short address block", [.. ProxyV2Format.Signature, 0x21, 0x11, 0x00, 0x04, 1, 2, 3, 4] },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public async Task MalformedHeader_IsReset_Counted_AndTheServerGoesOn(string description, byte[] input)
    {
        Assert.Equal(("reset", 0), await RawClient.SendAndReadEndAsync(_proxy.EndPoint(Trusting), input));

        var access = await _proxy.Log.WaitForAccessAsync("bad_proxy_header");
        Assert.False(string.IsNullOrEmpty(access.Get("Detail")), description);
        Assert.Equal(0, _backend.Connections);
        var metrics = await PrometheusScrape.GetAsync(_proxy.Server.MetricsEndPoint!);
        Assert.Equal(1, metrics.Value("mcproxy_connections_total", ("listener", Trusting), ("outcome", "bad_proxy_header")));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task HeaderNeverCompleted_IsClosedAtHelloTimeout_AndTheServerGoesOn()
    {
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
            proxy_protocol = true
            trusted_proxies = ["127.0.0.1"]
              [[listeners.routes]]
              hostname = "app.example.test"
              backend = "{_backend.Address}"
            [proxy]
            hello_timeout = "1s"
            """);

        // Half a header, then silence: the one deadline for header and ClientHello closes it (a FIN, not a reset).
        Assert.Equal(("eof", 0), await RawClient.SendAndReadEndAsync(proxy.EndPoint(), "PROXY TCP4 192.0.2.1 "u8.ToArray()));

        var access = await proxy.Log.WaitForAccessAsync("hello_timeout");
        Assert.Equal("127.0.0.1", IPEndPoint.Parse(access.Get("Client")!).Address.ToString());
        var tls = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "app.example.test", _certs, preamble: V1("192.0.2.2", 2));
        Assert.Equal("hello from origin sni=app.example.test\n", await tls.ReadUntilAsync("\n"));
        await tls.CloseGracefullyAsync();
    }

    [Fact]
    public async Task HeaderSource_IsWhatTheFirewallChecks()
    {
        Assert.Equal(("reset", 0), await RawClient.SendAndReadEndAsync(_proxy.EndPoint(Trusting), [.. V1("203.0.113.66", 40009), .. ClientHelloBuilder.Build("app.example.test")]));

        var access = await _proxy.Log.WaitForAccessAsync("blocked_ip");
        Assert.Equal("203.0.113.66:40009", access.Get("Client"));
        var metrics = await PrometheusScrape.GetAsync(_proxy.Server.MetricsEndPoint!);
        Assert.Equal(1, metrics.Value("mcproxy_firewall_blocks_total", ("reason", "ip")));
        await AssertStillServingAsync();
    }

    private async Task AssertStillServingAsync()
    {
        var tls = await TlsTestClient.ConnectAsync(_proxy.EndPoint(Trusting), "app.example.test", _certs, preamble: V1("192.0.2.200", 50000));
        Assert.Equal("hello from origin sni=app.example.test\n", await tls.ReadUntilAsync("\n"));
        await tls.CloseGracefullyAsync();
        var access = await _proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Client") == "192.0.2.200:50000");
        Assert.Equal("ok", access.Get("Outcome"));
    }
}
