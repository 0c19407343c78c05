using McProxy.Model;
using McProxy.Net;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// The per-backend series on the real /metrics endpoint, read from the live route tables: a member's admin state and
/// counters as they are when scraped, and a removed route's series gone from the next scrape.
/// </summary>
public sealed class BackendMetricsScrapeTests
{
    [Fact]
    public async Task Scrape_ShowsTheLiveMembers_AndNotARemovedRoute()
    {
        await using var proxy = await TestProxy.StartAsync("""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "pooled.example.test"
              backend = "127.0.0.1:9"
            [metrics]
            addr = "127.0.0.1:0"
            """);
        (string, string)[] labels = [("listener", "127.0.0.1:0"), ("route", "pooled.example.test"), ("backend", "127.0.0.1:9")];
        var listener = Assert.Single(proxy.Server.Routing.Listeners);
        var member = listener.Snapshot.FindRoute("pooled.example.test")!.FindBackend(new HostPort("127.0.0.1", 9))!;

        var before = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);
        Assert.Equal(1, before.Value("mcproxy_backend_up", labels));
        Assert.Equal(1, before.Value("mcproxy_backend_admin_state", [.. labels, ("state", "enabled")]));
        Assert.Equal(0, before.Value("mcproxy_backend_failed_connects_total", labels));

        member.SetAdminState(BackendAdminState.Drain);
        member.RecordConnectFailure("refused");
        member.RecordCheck(passed: true, "connected");
        var during = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);
        Assert.Equal(1, during.Value("mcproxy_backend_admin_state", [.. labels, ("state", "drain")]));
        Assert.Equal(0, during.Value("mcproxy_backend_admin_state", [.. labels, ("state", "enabled")]));
        Assert.Equal(1, during.Value("mcproxy_backend_failed_connects_total", labels));
        Assert.Equal(1, during.Value("mcproxy_backend_health_checks_total", [.. labels, ("result", "passed")]));

        await proxy.Server.Routing.RemoveRouteAsync(listener, "pooled.example.test", CancellationToken.None);
        var after = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);
        Assert.DoesNotContain(after.Samples, s => s.Name.StartsWith("mcproxy_backend_", StringComparison.Ordinal));
    }
}
