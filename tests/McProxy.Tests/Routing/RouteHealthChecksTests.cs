using System.Runtime.CompilerServices;
using McProxy.Config;
using McProxy.Metrics;
using McProxy.Model;
using McProxy.Routing;
using McProxy.Routing.Pools;
using McProxy.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace McProxy.Tests.Routing;

/// <summary>
/// The registrations follow the routes through the routing state's swaps, as the admin API drives them: one per
/// checked route however often it is replaced, none for a route removed or without a check, none after the stop.
/// The checker is never started, so no check runs.
/// </summary>
public sealed class RouteHealthChecksTests : IAsyncDisposable
{
    private const string Listener = "127.0.0.1:8443";

    private readonly string _dir = Directory.CreateTempSubdirectory("mc-proxy-healthchecks-").FullName;
    private readonly ProxyStore _store;
    private readonly RoutingState _routing;
    private readonly HealthChecker _checker = new(new HealthCheckerOptions(), NullLogger.Instance);
    private readonly RouteHealthChecks _checks;

    public RouteHealthChecksTests()
    {
        _store = ProxyStore.Open(Path.Combine(_dir, "mc-proxy.db"));
        var config = ConfigLoader.Parse($$"""
            [database]
            path = "unused.db"
            [[listeners]]
            addr = "{{Listener}}"
              [[listeners.routes]]
              hostname = "pool.example.net"
              backends = ["127.0.0.1:9001", "127.0.0.1:9002"]
              [[listeners.routes]]
              hostname = "single.example.net"
              backend = "127.0.0.1:9003"
            """, "test.toml", "/", loadFiles: false);
        Seeder.SeedIfEmptyAsync(_store.Database, config).GetAwaiter().GetResult();
        _routing = RoutingState.Load(_store, new ProxyMetrics(), _ => { });
        _checks = new RouteHealthChecks(_checker, _ => HealthCheck.Tcp);
        _checks.Follow(Live);
    }

    private ListenerState Live => _routing.FindListener(Listener)!;

    [Fact]
    public async Task ARouteUpserted1000Times_KeepsOneRegistration_ForItsLatestEntry_AndHoldsNoReplacedOne()
    {
        // The pool has the default check for two backends (tcp); the single backend has none.
        Assert.Equal((1, 1), (_checks.Count, _checker.Registered));

        var replaced = await Upsert1000TimesAsync();

        Assert.Equal((1, 1), (_checks.Count, _checker.Registered));
        Assert.True(_checks.IsChecked(Live.Snapshot.FindRoute("pool.example.net")!));
        // Bounded: nothing holds a replaced entry (its pool, its registration) once it is out of force. The heap's
        // total is not measured, as the other test classes allocate in this process at the same time.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(0, replaced.Count(r => r.IsAlive));
    }

    /// <summary>
    /// Upserts the pool route 1,000 times, each a different route (the balance alternates), so each swap replaces
    /// the entry; returns the entries replaced along the way, weakly. Not inlined: no stack slot of the caller keeps
    /// an entry or a snapshot alive for the collection.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<List<WeakReference>> Upsert1000TimesAsync()
    {
        var route = Live.Snapshot.FindRoute("pool.example.net")!.Route;
        var replaced = new List<WeakReference>();
        for (var i = 0; i < 1000; i++)
        {
            if (i % 100 == 0)
            {
                replaced.Add(new WeakReference(Live.Snapshot.FindRoute("pool.example.net")!));
            }

            var balance = i % 2 == 0 ? BalanceAlgorithm.RoundRobin : BalanceAlgorithm.LeastConnections;
            await _routing.UpsertRouteAsync(Live, route with { Balance = balance }, CancellationToken.None);
        }

        return replaced;
    }

    [Fact]
    public async Task RemovedOrUncheckedRoutes_HaveNoRegistration_AndNoneAfterTheStop()
    {
        var route = Live.Snapshot.FindRoute("pool.example.net")!.Route;
        await _routing.UpsertRouteAsync(Live, route with { HealthCheck = HealthCheckSetting.None }, CancellationToken.None);
        Assert.Equal((0, 0), (_checks.Count, _checker.Registered));

        await _routing.UpsertRouteAsync(Live, route, CancellationToken.None);
        Assert.Equal((1, 1), (_checks.Count, _checker.Registered));
        await _routing.RemoveRouteAsync(Live, "pool.example.net", CancellationToken.None);
        Assert.Equal((0, 0), (_checks.Count, _checker.Registered));

        // After the stop (the shutdown), a swap registers nothing and the disposed checker refuses nothing.
        await _routing.UpsertRouteAsync(Live, route, CancellationToken.None);
        _checks.Stop();
        await _checker.DisposeAsync();
        await _routing.UpsertRouteAsync(Live, route with { Balance = BalanceAlgorithm.First }, CancellationToken.None);
        Assert.Equal(0, _checks.Count);
        Assert.Equal(0, _checker.Registered);
    }

    public async ValueTask DisposeAsync()
    {
        await _checker.DisposeAsync();
        _routing.Dispose();
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
