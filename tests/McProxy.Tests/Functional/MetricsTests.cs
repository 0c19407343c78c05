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

    public void Dispose() => _certs.Dispose();
}
