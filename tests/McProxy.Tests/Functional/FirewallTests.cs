using System.Net;
using System.Net.Sockets;
using McProxy.Model;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// SPEC §2 step 3: the global firewall refuses a client with a TCP reset before a byte of TLS, and lets everyone
/// else through. Two listeners, 127.0.0.1 and ::1, give two client addresses on loopback.
/// </summary>
public sealed class FirewallTests : IAsyncLifetime
{
    private const string V4 = "127.0.0.1:0";
    private const string V6 = "[::1]:0";
    private readonly TestCertificates _certs = new();
    private readonly string _directory = TestProxy.CreateTempDirectory();
    private TlsBackend _backend = null!;

    public Task InitializeAsync()
    {
        _backend = new TlsBackend("app", _certs.IssueServer("app.example.test"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _certs.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private Task<TestProxy> StartAsync(string firewall, TimeSpan? fileCheckInterval = null) => TestProxy.StartAsync($"""
        [[listeners]]
        addr = "{V4}"
          [[listeners.routes]]
          hostname = "app.example.test"
          backend = "{_backend.Address}"
        [[listeners]]
        addr = "{V6}"
          [[listeners.routes]]
          hostname = "app.example.test"
          backend = "{_backend.Address}"
        [firewall]
        {firewall}
        [metrics]
        addr = "127.0.0.1:0"
        """, Path.Combine(_directory, Guid.NewGuid().ToString("N")), fileCheckInterval);

    public static TheoryData<string, string> AddressRules() => new()
    {
        { "blocked_ips = [\"127.0.0.1\"]", V4 },
        { "blocked_ips = [\"::1\"]", V6 },
        { "blocked_cidrs = [\"127.0.0.0/8\"]", V4 },
        { "blocked_cidrs = [\"::/64\"]", V6 },
    };

    [Theory]
    [MemberData(nameof(AddressRules))]
    public async Task BlockedAddress_IsResetWithNothingSent_AndTheOtherAddressIsServed(string rule, string blocked)
    {
        Directory.CreateDirectory(_directory);
        await using var proxy = await StartAsync(rule);
        var allowed = blocked == V4 ? V6 : V4;
        var reason = rule.StartsWith("blocked_ips", StringComparison.Ordinal) ? "ip" : "cidr";

        Assert.Equal(("reset", 0), await AttemptRawAsync(proxy.EndPoint(blocked)));
        await AssertServedAsync(proxy, allowed);

        var access = await proxy.Log.WaitForAccessAsync($"blocked_{reason}");
        Assert.Equal(blocked == V4 ? "127.0.0.1" : "::1", IPEndPoint.Parse(access.Get("Client")!).Address.ToString());
        var metrics = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);
        Assert.Equal(1, metrics.Value("mcproxy_firewall_blocks_total", ("reason", reason)));
        Assert.Equal(1, metrics.Value("mcproxy_connections_total", ("listener", blocked), ("outcome", $"blocked_{reason}")));
        Assert.Equal(1, metrics.Value("mcproxy_connections_total", ("listener", allowed), ("outcome", "ok")));
    }

    [Theory]
    [InlineData("AQ", V4)]
    [InlineData("NZ", V6)]
    public async Task BlockedCountry_ByTheGeoIpDatabase_IsReset_AndTheOtherCountryIsServed(string country, string blocked)
    {
        var geoIp = new MaxMindDbWriter().Add("127.0.0.0/8", "AQ").Add("::1/128", "NZ").WriteTo(_directory);
        await using var proxy = await StartAsync($"""
            geoip_db = "{geoIp}"
            blocked_countries = ["{country}"]
            """);

        Assert.Equal(("reset", 0), await AttemptRawAsync(proxy.EndPoint(blocked)));
        await AssertServedAsync(proxy, blocked == V4 ? V6 : V4);

        await proxy.Log.WaitForAccessAsync("blocked_country");
        var metrics = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);
        Assert.Equal(1, metrics.Value("mcproxy_firewall_blocks_total", ("reason", "country")));
    }

    [Fact]
    public async Task GeoIpDatabase_ReplacedWhileRunning_IsTakenWithoutARestart()
    {
        // This server's watcher ticks often, so its own timer picks the new file up; no other server is affected.
        var geoIp = new MaxMindDbWriter().Add("127.0.0.0/8", "AQ").Add("::1/128", "NZ").WriteTo(_directory);
        await using var proxy = await StartAsync($"""
            geoip_db = "{geoIp}"
            blocked_countries = ["AQ"]
            """, TimeSpan.FromMilliseconds(200));
        Assert.Equal(("reset", 0), await AttemptRawAsync(proxy.EndPoint(V4)));

        // geoipupdate's weekly download: 127.0.0.0/8 is now in FR, which is not blocked.
        new MaxMindDbWriter().Add("127.0.0.0/8", "FR").Add("::1/128", "NZ").WriteTo(_directory);
        File.SetLastWriteTimeUtc(geoIp, DateTime.UtcNow.AddMinutes(1));

        var reloaded = await proxy.Log.WaitForAsync(e => e.Message.Contains("GeoIP database", StringComparison.Ordinal) && e.Message.Contains("reloaded", StringComparison.Ordinal));
        Assert.Equal(geoIp, reloaded.Get("Path"));
        await AssertServedAsync(proxy, V4);
    }

    [Fact]
    public async Task RateLimit_TripsAfterTheLimit_OtherClientsKeepWorking_AndRecoversAfterTheWindow()
    {
        // The window is long enough that the first three attempts fall in it on a loaded machine.
        await using var proxy = await StartAsync("""
            rate_limit = 2
            rate_window = "8s"
            """);

        await AssertServedAsync(proxy, V4);
        await AssertServedAsync(proxy, V4);
        Assert.Equal(("reset", 0), await AttemptRawAsync(proxy.EndPoint(V4)));
        await proxy.Log.WaitForAccessAsync("blocked_rate");
        await AssertServedAsync(proxy, V6);

        // Refused attempts do not extend the window: within it and some, 127.0.0.1 is served again.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await TryServedAsync(proxy, V4))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), deadline.Token);
        }

        var metrics = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);
        Assert.True(metrics.Value("mcproxy_firewall_blocks_total", ("reason", "rate")) >= 1);
        Assert.Equal(3, metrics.Value("mcproxy_connections_total", ("listener", V4), ("outcome", "ok")));
    }

    [Fact]
    public async Task FirewallRuleChange_ThroughTheRoutingState_BlocksTheNextConnection_WhileAnEstablishedOneFlows()
    {
        await using var proxy = await StartAsync("");
        var established = await TlsTestClient.ConnectAsync(proxy.EndPoint(V4), "app.example.test", _certs);
        await established.ReadUntilAsync("\n");

        await proxy.Server.Routing.AddFirewallRuleAsync(new FirewallRule(FirewallRules.Ip, "127.0.0.1"), CancellationToken.None);
        Assert.Contains(proxy.Server.Store.FirewallRules.List(), r => r.Value == "127.0.0.1");

        Assert.Equal(("reset", 0), await AttemptRawAsync(proxy.EndPoint(V4)));
        await established.WriteAsync("still flowing\n");
        Assert.Contains("still flowing\n", await established.ReadUntilAsync("still flowing\n"), StringComparison.Ordinal);
        await AssertServedAsync(proxy, V6);

        await proxy.Server.Routing.RemoveFirewallRuleAsync(new FirewallRule(FirewallRules.Ip, "127.0.0.1"), CancellationToken.None);
        Assert.Empty(proxy.Server.Store.FirewallRules.List());
        await AssertServedAsync(proxy, V4);
        Assert.EndsWith("bye app\n", await established.CloseGracefullyAsync(), StringComparison.Ordinal);
    }

    /// <summary>A ClientHello on a raw connection: how it ended, and how many bytes came back first.</summary>
    private static Task<(string End, int Received)> AttemptRawAsync(IPEndPoint endPoint)
        => RawClient.SendAndReadEndAsync(endPoint, ClientHelloBuilder.Build("app.example.test"));

    private async Task AssertServedAsync(TestProxy proxy, string listener)
    {
        Assert.True(await TryServedAsync(proxy, listener), $"not served on {listener}");
    }

    private async Task<bool> TryServedAsync(TestProxy proxy, string listener)
    {
        try
        {
            var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(listener), "app.example.test", _certs);
            var greeting = await client.ReadUntilAsync("\n");
            await client.CloseGracefullyAsync();
            return greeting == "hello from app sni=app.example.test\n";
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return false;
        }
    }
}
