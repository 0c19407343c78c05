using Grpc.Core;
using McProxy.Client.V1;
using McProxy.Model;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Tests.Admin;

/// <summary>Backend pools through the admin API (issue 16): AddRoute with a pool, ListRoutes' backend status, SetBackendState.</summary>
public sealed class AdminBackendPoolTests : IAsyncLifetime
{
    private const string L = AdminEnvironment.Listener;
    private const string Host = "pool.example.test";
    private static readonly string[] Pool = ["127.0.0.1:9101", "127.0.0.1:9102", "[::1]:9103"];

    private AdminEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await AdminEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private McProxy.Routing.ListenerState Live => _env.Proxy.Server.Routing.FindListener(L)!;

    private static Route PoolRoute()
    {
        var route = new Route { Hostname = Host, Balance = "round_robin", HealthCheck = "tcp" };
        route.Backends.AddRange(Pool);
        return route;
    }

    private async Task<Route> ListedAsync() => (await _env.Client.ListRoutesAsync(L)).Single(r => r.Hostname == Host);

    [Fact]
    public async Task AddRoute_WithThreeBackends_ListRoutesShowsThePoolInOrder_WithEachBackendsStatus()
    {
        var added = await _env.Client.AddRouteAsync(L, PoolRoute());

        Assert.Equal(Pool, added.Backends);
        Assert.Equal(Pool[0], added.Backend);
        var listed = await ListedAsync();
        Assert.Equal(Pool, listed.Backends);
        Assert.Equal("round_robin", listed.Balance);
        Assert.Equal("tcp", listed.HealthCheck);
        Assert.Equal(Pool, listed.BackendStatus.Select(b => b.Address));
        Assert.All(listed.BackendStatus, b => Assert.Equal("enabled", b.AdminState));
        Assert.All(listed.BackendStatus, b => Assert.Equal(0, b.ActiveConnections));
        Assert.Equal(Pool, Assert.Single(_env.Store.Routes.List(), r => r.Hostname == Host).Route.Backends);
        Assert.Equal(3, Live.Snapshot.FindRoute(Host)!.Pool.Members.Length);
    }

    [Fact]
    public async Task ListRoutes_ASingleBackendRoute_HasOneStatus_AndNoHealthCheck()
    {
        var seeded = (await _env.Client.ListRoutesAsync(L)).Single(r => r.Hostname == AdminEnvironment.L4Host);

        Assert.Equal([_env.One.Address], seeded.Backends);
        Assert.Equal("none", seeded.HealthCheck);
        Assert.Equal("least_connections", seeded.Balance);
        var status = Assert.Single(seeded.BackendStatus);
        Assert.Equal(_env.One.Address, status.Address);
        Assert.True(status.Healthy);
    }

    [Fact]
    public async Task SetBackendState_Drain_ShowsInListRoutes_IsLive_AndSurvivesARestart()
    {
        await _env.Client.AddRouteAsync(L, PoolRoute());

        var drained = await _env.Client.SetBackendStateAsync(L, Host, Pool[1], "drain");

        Assert.Equal(Pool[1], drained.Address);
        Assert.Equal("drain", drained.AdminState);
        Assert.Equal(["enabled", "drain", "enabled"], (await ListedAsync()).BackendStatus.Select(b => b.AdminState));
        Assert.Equal(BackendAdminState.Drain, Live.Snapshot.FindRoute(Host)!.Pool.Members[1].AdminState);

        // A route update keeps the drain, in memory and in the database.
        await _env.Client.AddRouteAsync(L, PoolRoute());
        Assert.Equal("drain", (await ListedAsync()).BackendStatus[1].AdminState);

        await _env.StopProxyAsync();
        await _env.StartProxyAsync();

        Assert.Equal(["enabled", "drain", "enabled"], (await ListedAsync()).BackendStatus.Select(b => b.AdminState));
        Assert.Equal(BackendAdminState.Drain, Live.Snapshot.FindRoute(Host)!.Pool.Members[1].AdminState);
        var enabled = await _env.Client.SetBackendStateAsync(L, Host, Pool[1], "enabled");
        Assert.Equal("enabled", enabled.AdminState);
        Assert.Equal(BackendAdminState.Enabled, _env.Store.Routes.List().Single(r => r.Hostname == Host).BackendStates[Pool[1]]);
    }

    [Theory]
    [InlineData("maint", StatusCode.InvalidArgument, "state")]
    [InlineData("", StatusCode.InvalidArgument, "state")]
    [InlineData("unknown-backend", StatusCode.NotFound, "backend")]
    [InlineData("unknown-route", StatusCode.NotFound, "hostname")]
    [InlineData("unknown-listener", StatusCode.NotFound, "listener_addr")]
    [InlineData("bad-backend", StatusCode.InvalidArgument, "backend")]
    public async Task SetBackendState_Refused_NamesTheField_AndChangesNothing(string problem, StatusCode code, string field)
    {
        await _env.Client.AddRouteAsync(L, PoolRoute());
        var (listener, host, backend, state) = problem switch
        {
            "unknown-backend" => (L, Host, "127.0.0.1:9999", "drain"),
            "unknown-route" => (L, "nope.example.test", Pool[0], "drain"),
            "unknown-listener" => ("127.0.0.1:1", Host, Pool[0], "drain"),
            "bad-backend" => (L, Host, "no port here", "drain"),
            _ => (L, Host, Pool[0], problem),
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => _env.Client.SetBackendStateAsync(listener, host, backend, state));

        Assert.Equal(code, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        Assert.All((await ListedAsync()).BackendStatus, b => Assert.Equal("enabled", b.AdminState));
        Assert.All(_env.Store.Routes.List().Single(r => r.Hostname == Host).BackendStates.Values, s => Assert.Equal(BackendAdminState.Enabled, s));
    }

    [Fact]
    public async Task AddRoute_WithBothBackendAndBackends_IsRefused_NamingRouteBackends_AndChangesNothing()
    {
        var route = PoolRoute();
        route.Backend = "127.0.0.1:9100";

        var error = await Assert.ThrowsAsync<RpcException>(() => _env.Client.AddRouteAsync(L, route));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("route.backends:", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(await _env.Client.ListRoutesAsync(L), r => r.Hostname == Host);
        Assert.DoesNotContain(_env.Store.Routes.List(), r => r.Hostname == Host);
    }
}
