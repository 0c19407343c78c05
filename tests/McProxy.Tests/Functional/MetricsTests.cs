using System.Net;
using System.Net.Sockets;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

public sealed class MetricsTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    [Fact]
    public async Task Scrape_AfterRealTraffic_ShowsEachCounterMovedByTheRightAmount()
    {
        await using var backend = new TlsBackend("metered", _certs.IssueServer("metered.example.test"));
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "metered.example.test"
              backend = "{backend.Address}"
            [metrics]
            addr = "127.0.0.1:0"
            """);
        var listener = ("listener", "127.0.0.1:0");
        var before = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);
        Assert.Equal("counter", before.Types["mcproxy_connections_accepted_total"]);
        Assert.Equal("histogram", before.Types["mcproxy_clienthello_wait_seconds"]);

        // One relayed connection, one bad ClientHello, one unknown SNI.
        await using (var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "metered.example.test", _certs))
        {
            await client.ReadUntilAsync("\n");
            await client.WriteAsync("ping\n");
            await client.ReadUntilAsync("ping\n");
            await client.CloseGracefullyAsync();
        }

        var ok = await proxy.Log.WaitForAccessAsync("ok");
        using (var bad = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            await bad.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None);
            await RawClient.ReadToEndAsync(bad, TimeSpan.FromSeconds(10));
        }

        await proxy.Log.WaitForAccessAsync("bad_hello");
        using (var unknown = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            await unknown.SendAsync(ClientHelloBuilder.Build("nobody.example.test"), SocketFlags.None);
            await RawClient.ReadToEndAsync(unknown, TimeSpan.FromSeconds(10));
        }

        await proxy.Log.WaitForAccessAsync("no_route");
        var after = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);

        Assert.Equal(3, after.Value("mcproxy_connections_accepted_total", listener));
        Assert.Equal(0, after.Value("mcproxy_connections_active", listener));
        Assert.Equal(1, after.Value("mcproxy_connections_total", listener, ("outcome", "ok")));
        Assert.Equal(1, after.Value("mcproxy_connections_total", listener, ("outcome", "bad_hello")));
        Assert.Equal(1, after.Value("mcproxy_connections_total", listener, ("outcome", "no_route")));
        Assert.Equal(long.Parse(ok.Get("BytesIn")!, System.Globalization.CultureInfo.InvariantCulture), after.Value("mcproxy_bytes_total", ("route", "metered.example.test"), ("direction", "in")));
        Assert.Equal(long.Parse(ok.Get("BytesOut")!, System.Globalization.CultureInfo.InvariantCulture), after.Value("mcproxy_bytes_total", ("route", "metered.example.test"), ("direction", "out")));
        Assert.True(after.Value("mcproxy_bytes_total", ("route", "metered.example.test"), ("direction", "out")) > 0);
        Assert.Equal(2, after.Value("mcproxy_clienthello_wait_seconds_count", listener));

        // Label cardinality: the unknown SNI is nowhere in the scrape.
        Assert.DoesNotContain(after.Samples, s => s.Labels.Values.Any(v => v.Contains("nobody", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Scrape_WhileAConnectionIsOpen_ShowsItActive()
    {
        await using var backend = new TlsBackend("open", _certs.IssueServer("open.example.test"));
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "open.example.test"
              backend = "{backend.Address}"
            [metrics]
            addr = "127.0.0.1:0"
            """);
        await using var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "open.example.test", _certs);
        await client.ReadUntilAsync("\n");

        var scrape = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);

        Assert.Equal(1, scrape.Value("mcproxy_connections_active", ("listener", "127.0.0.1:0")));
        Assert.True(scrape.Value("mcproxy_bytes_total", ("route", "open.example.test"), ("direction", "out")) > 0, "bytes are counted while the connection is open");
    }

    [Fact]
    public async Task Scrape_AfterEveryKindOfTraffic_CountsEachWithItsLabels()
    {
        var directory = TestProxy.CreateTempDirectory();
        var pem = PemFiles.Write(_certs.IssueServer("web.example.test"), directory, "web");
        await using var l4Backend = new TlsBackend("metered", _certs.IssueServer("metered.example.test"));
        await using var httpBackend = await HttpTestBackend.StartAsync(BackendMode.Http1);
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "metered.example.test"
              backend = "{l4Backend.Address}"
              [[listeners.routes]]
              hostname = "web.example.test"
              backend = "{httpBackend.Address}"
              mode = "l7"
              tls_cert = "{pem.Cert}"
              tls_key = "{pem.Key}"
                [[listeners.routes.l7_policies]]
                type = "block_user_agent"
                value = "BadBot"
            [[listeners]]
            addr = "[::1]:0"
              [[listeners.routes]]
              hostname = "metered.example.test"
              backend = "{l4Backend.Address}"
            [firewall]
            blocked_ips = ["::1"]
            [metrics]
            addr = "127.0.0.1:0"
            """, directory);
        var v4 = ("listener", "127.0.0.1:0");
        var v6 = ("listener", "[::1]:0");
        var web = ("route", "web.example.test");

        // An L4 connection relayed end to end.
        await using (var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "metered.example.test", _certs))
        {
            await client.ReadUntilAsync("\n");
            await client.WriteAsync("ping\n");
            await client.ReadUntilAsync("ping\n");
            await client.CloseGracefullyAsync();
        }

        await proxy.Log.WaitForAccessAsync("ok");

        // Two L7 requests on one connection: one forwarded, one answered 403 by the policy.
        using (var http = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20))
        {
            using var allowed = await http.GetAsync(L7TestClient.Url("web.example.test", proxy.EndPoint(), "/allowed"));
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Get, L7TestClient.Url("web.example.test", proxy.EndPoint(), "/blocked"));
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            request.Headers.UserAgent.ParseAdd("BadBot/1.0");
            using var blocked = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        }

        // A firewall block (the ::1 listener's client is ::1) and a bad ClientHello.
        Assert.Equal(("reset", 0), await RawClient.SendAndReadEndAsync(proxy.EndPoint("[::1]:0"), ClientHelloBuilder.Build("metered.example.test")));
        await proxy.Log.WaitForAccessAsync("blocked_ip");
        using (var bad = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            await bad.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None);
            await RawClient.ReadToEndAsync(bad, TimeSpan.FromSeconds(10));
        }

        await proxy.Log.WaitForAccessAsync("bad_hello");

        // The L7 connection's own line comes when Kestrel lets go of it (after the client closed it).
        // Request lines say ok too (they carry a Method): count the connections' lines only, the L4 one and the L7 one.
        await proxy.Log.WaitForAsync(_ => proxy.Log.Access.Count(e => e.Get("Outcome") == "ok" && e.Get("Method") is null) >= 2, TimeSpan.FromSeconds(30));
        var after = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);

        Assert.Equal(3, after.Value("mcproxy_connections_accepted_total", v4));
        Assert.Equal(1, after.Value("mcproxy_connections_accepted_total", v6));
        Assert.Equal(0, after.Value("mcproxy_connections_active", v4));
        Assert.Equal(0, after.Value("mcproxy_connections_active", v6));
        Assert.Equal(2, after.Value("mcproxy_connections_total", v4, ("outcome", "ok")));
        Assert.Equal(1, after.Value("mcproxy_connections_total", v4, ("outcome", "bad_hello")));
        Assert.Equal(1, after.Value("mcproxy_connections_total", v6, ("outcome", "blocked_ip")));
        Assert.Equal(1, after.Value("mcproxy_firewall_blocks_total", ("reason", "ip")));
        Assert.Equal(1, after.Value("mcproxy_http_requests_total", v4, web, ("code", "2xx")));
        Assert.Equal(1, after.Value("mcproxy_http_requests_total", v4, web, ("code", "4xx")));
        Assert.Equal(2, after.Value("mcproxy_http_request_duration_seconds_count", web));
        Assert.Equal(1, after.Value("mcproxy_l7_policy_blocks_total", web, ("type", "block_user_agent")));
        Assert.True(after.Value("mcproxy_bytes_total", v4, ("route", "metered.example.test"), ("direction", "out")) > 0);
        Assert.Equal(1, httpBackend.Requests);

        // Nothing per client: no label carries a client address. The backend label carries configured backends only.
        Assert.DoesNotContain(after.Samples, s => s.Labels.Any(l => l.Key != "backend" && l.Value.StartsWith("127.0.0.1:", StringComparison.Ordinal) && l.Value != "127.0.0.1:0"));
        Assert.Equal(
            new[] { l4Backend.Address, httpBackend.Address }.Order(StringComparer.Ordinal),
            after.Samples.Where(s => s.Labels.ContainsKey("backend")).Select(s => s.Labels["backend"]).Distinct().Order(StringComparer.Ordinal));
        Assert.DoesNotContain(after.Samples, s => s.Labels.Values.Any(v => v == "::1"));
    }

    public void Dispose() => _certs.Dispose();
}
