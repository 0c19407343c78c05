using McProxy.Metrics;
using McProxy.Model;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Metrics;

/// <summary>
/// The per-backend instruments as a scrape renders them: each row's values under its listener, route and backend,
/// the admin state as one 1 among three, counters that may start again, and rows that vanish with their backend.
/// </summary>
[UnitTest]
public sealed class BackendMetricsTests
{
    private static readonly (string, string)[] A = [("listener", ":443"), ("route", "a.example.net"), ("backend", "10.0.0.1:80")];
    private static readonly (string, string)[] B = [("listener", ":443"), ("route", "a.example.net"), ("backend", "10.0.0.2:80")];

    [Fact]
    public async Task Scrape_ShowsEachRowsValues_AndDropsRowsThatAreGone()
    {
        var metrics = new ProxyMetrics();
        var rows = new List<BackendMetricRow>
        {
            new(":443", "a.example.net", "10.0.0.1:80", Up: true, BackendAdminState.Enabled, 3, 1, 7, 0),
            new(":443", "a.example.net", "10.0.0.2:80", Up: false, BackendAdminState.Drain, 0, 5, 2, 4),
        };
        metrics.Backends.SetSource(() => rows);

        var first = await ScrapeAsync(metrics);

        Assert.Equal("gauge", first.Types["mcproxy_backend_up"]);
        Assert.Equal("gauge", first.Types["mcproxy_backend_admin_state"]);
        Assert.Equal("gauge", first.Types["mcproxy_backend_active_connections"]);
        Assert.Equal("counter", first.Types["mcproxy_backend_failed_connects_total"]);
        Assert.Equal("counter", first.Types["mcproxy_backend_health_checks_total"]);
        Assert.Equal(1, first.Value("mcproxy_backend_up", A));
        Assert.Equal(0, first.Value("mcproxy_backend_up", B));
        Assert.Equal(3, first.Value("mcproxy_backend_active_connections", A));
        Assert.Equal(1, first.Value("mcproxy_backend_failed_connects_total", A));
        Assert.Equal(5, first.Value("mcproxy_backend_failed_connects_total", B));
        Assert.Equal(7, first.Value("mcproxy_backend_health_checks_total", [.. A, ("result", "passed")]));
        Assert.Equal(4, first.Value("mcproxy_backend_health_checks_total", [.. B, ("result", "failed")]));
        Assert.Equal(1, first.Value("mcproxy_backend_admin_state", [.. A, ("state", "enabled")]));
        Assert.Equal(0, first.Value("mcproxy_backend_admin_state", [.. A, ("state", "drain")]));
        Assert.Equal(1, first.Value("mcproxy_backend_admin_state", [.. B, ("state", "drain")]));
        Assert.Equal(0, first.Value("mcproxy_backend_admin_state", [.. B, ("state", "enabled")]));
        Assert.Equal(3, first.Named("mcproxy_backend_admin_state").Count(s => s.Labels["backend"] == "10.0.0.1:80"));

        // A is disabled and counts on; B leaves the pool.
        rows = [new(":443", "a.example.net", "10.0.0.1:80", Up: true, BackendAdminState.Disabled, 0, 9, 8, 1)];
        var second = await ScrapeAsync(metrics);

        Assert.Equal(1, second.Value("mcproxy_backend_admin_state", [.. A, ("state", "disabled")]));
        Assert.Equal(0, second.Value("mcproxy_backend_admin_state", [.. A, ("state", "enabled")]));
        Assert.Equal(9, second.Value("mcproxy_backend_failed_connects_total", A));
        Assert.Equal(0, second.Value("mcproxy_backend_active_connections", A));
        Assert.DoesNotContain(second.Samples, s => s.Name.StartsWith("mcproxy_backend_", StringComparison.Ordinal) && s.Labels.GetValueOrDefault("backend") == "10.0.0.2:80");

        // The route is removed: no backend series is left at its last value.
        rows = [];
        var third = await ScrapeAsync(metrics);
        Assert.DoesNotContain(third.Samples, s => s.Name.StartsWith("mcproxy_backend_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scrape_OfAMemberThatStartedCountingAgain_ShowsTheNewCount()
    {
        var metrics = new ProxyMetrics();
        var failed = 10L;
        metrics.Backends.SetSource(() => [new(":443", "a.example.net", "10.0.0.1:80", Up: true, BackendAdminState.Enabled, 0, failed, 0, 0)]);

        Assert.Equal(10, (await ScrapeAsync(metrics)).Value("mcproxy_backend_failed_connects_total", A));
        // A route re-configured with another health policy has new members, counting from zero.
        failed = 2;
        Assert.Equal(2, (await ScrapeAsync(metrics)).Value("mcproxy_backend_failed_connects_total", A));
    }

    private static async Task<PrometheusScrape> ScrapeAsync(ProxyMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return PrometheusScrape.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
