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

    [Fact]
    public async Task Scrape_Of64BackendsOnEightListeners_IsEightSeriesPerBackend_HoweverOftenThePoolsChange()
    {
        var metrics = new ProxyMetrics();
        var generation = 0;
        // Each scrape sees every listener's route with 64 backends, a new set of ports each time (pools rewritten).
        IEnumerable<BackendMetricRow> Rows() =>
            from listener in Enumerable.Range(0, 8)
            from backend in Enumerable.Range(0, 64)
            select new BackendMetricRow(
                $"[::1]:{8443 + listener}", "pool.example.net", $"[fd00::{backend + 1:x}]:{1024 + (generation * 64) + backend}",
                Up: backend % 2 == 0, BackendAdminState.Enabled, backend, generation, generation, 0);
        metrics.Backends.SetSource(Rows);

        var sizes = new List<int>();
        for (generation = 0; generation < 50; generation++)
        {
            using var stream = new MemoryStream();
            await metrics.Registry.CollectAndExportAsTextAsync(stream);
            sizes.Add((int)stream.Length);
            var scrape = PrometheusScrape.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            var series = scrape.Samples.Where(s => s.Name.StartsWith("mcproxy_backend_", StringComparison.Ordinal)).ToList();
            // up, active, failed connects, 3 admin states, 2 check results: only this generation's backends.
            Assert.Equal(8 * 64 * 8, series.Count);
            Assert.Equal(Rows().Select(r => r.Backend).ToHashSet(), series.Select(s => s.Labels["backend"]).ToHashSet());
        }

        // The text grows with the port numbers' digits only, never with the backends that came and went.
        Assert.InRange(sizes.Max(), 1, (sizes[0] * 11) / 10);
    }

    [Fact]
    public async Task Scrape_EscapesLabelValues()
    {
        var metrics = new ProxyMetrics();
        metrics.Backends.SetSource(() => [new(":443", "a.example.net", "odd\"host\\\nname:80", Up: true, BackendAdminState.Enabled, 0, 0, 0, 0)]);

        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());

        // Still one sample line each (the strict parser checks every line), the value escaped as the format asks.
        var scrape = PrometheusScrape.Parse(text);
        Assert.Equal(1, scrape.Value("mcproxy_backend_up", ("backend", "odd\\\"host\\\\\\nname:80")));
        Assert.Contains("backend=\"odd\\\"host\\\\\\nname:80\"", text, StringComparison.Ordinal);
    }

    private static async Task<PrometheusScrape> ScrapeAsync(ProxyMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return PrometheusScrape.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
