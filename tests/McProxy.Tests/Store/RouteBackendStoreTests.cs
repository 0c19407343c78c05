using McProxy.Model;
using McProxy.Store;
using Microsoft.Data.Sqlite;

namespace McProxy.Tests.Store;

/// <summary>Migration 5 and the route repository's pools: <c>route_backends</c>, <c>balance</c>, <c>health_check</c>.</summary>
[UnitTest]
public sealed class RouteBackendStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-proxy-pools-").FullName;

    private string DbPath => Path.Combine(_dir, "mc-proxy.db");

    private static RouteSettings Pool(string hostname, params string[] backends) => new()
    {
        Hostname = hostname,
        Backends = backends,
        Balance = BalanceAlgorithm.RoundRobin,
        HealthCheck = new HealthCheckSetting(HealthCheckMode.Http, "/healthz"),
        Mode = RouteMode.L4,
    };

    [Fact]
    public void Migration5_UpgradesADatabaseOfSchema4_KeepingRoutesPoliciesAndTheirBackend()
    {
        // A database as the previous build left it: migrations 1-4 only, with routes and a policy.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, ForeignKeys = true, Pooling = false }.ToString()))
        {
            connection.Open();
            Execute(connection, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));");
            foreach (var (version, name, sql) in Migrations.All.Where(m => m.Version <= 4))
            {
                Execute(connection, sql);
                Execute(connection, $"INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}')");
            }

            Execute(connection, """
                INSERT INTO listeners (id, addr) VALUES (1, '127.0.0.1:8443');
                INSERT INTO routes (id, listener_id, hostname, backend) VALUES (1, 1, 'a.example.net', '127.0.0.1:9000');
                INSERT INTO routes (id, listener_id, hostname, backend, mode, tls_cert, tls_key) VALUES (2, 1, 'b.example.net', 'backend.internal:8080', 'l7', '/c.pem', '/k.pem');
                INSERT INTO l7_policies (route_id, type, value) VALUES (2, 'require_header', 'X-Api-Key');
                """);
        }

        using var store = ProxyStore.Open(DbPath);

        Assert.Equal(5, store.Database.SchemaVersion);
        var routes = store.Routes.List();
        Assert.Equal(["a.example.net", "b.example.net"], routes.Select(r => r.Hostname));
        Assert.Equal(["127.0.0.1:9000"], routes[0].Route.Backends);
        Assert.Equal(["backend.internal:8080"], routes[1].Route.Backends);
        Assert.Equal(RouteMode.L7, routes[1].Route.Mode);
        Assert.All(routes, r => Assert.Equal(BalanceAlgorithm.LeastConnections, r.Route.Balance));
        Assert.All(routes, r => Assert.Equal(HealthCheckSetting.None, r.Route.HealthCheck));
        Assert.Equal(BackendAdminState.Enabled, routes[1].BackendStates["backend.internal:8080"]);
        Assert.Equal("X-Api-Key", Assert.Single(store.L7Policies.List(2)).Value);
    }

    [Fact]
    public async Task Upsert_WritesThePoolInOrder_AndListReadsItBack()
    {
        using var store = ProxyStore.Open(DbPath);
        var listenerId = await AddListener(store);
        var route = Pool("a.example.net", "10.0.0.3:443", "10.0.0.1:443", "[2001:db8::1]:443");

        await store.Routes.UpsertAsync(StoredRoute.From(route, listenerId));

        var stored = Assert.Single(store.Routes.List(listenerId));
        Assert.Equal(route, stored.Route);
        Assert.Equal(["10.0.0.3:443", "10.0.0.1:443", "[2001:db8::1]:443"], stored.Route.Backends);
        Assert.Equal("http:/healthz", stored.Route.HealthCheck.ToString());
        Assert.All(stored.BackendStates.Values, s => Assert.Equal(BackendAdminState.Enabled, s));
        Assert.Equal(3, stored.BackendStates.Count);
    }

    [Fact]
    public async Task Upsert_KeepsTheAdminStateOfABackendThatStays_StartsANewOneEnabled_DeletesARemovedOne()
    {
        using var store = ProxyStore.Open(DbPath);
        var listenerId = await AddListener(store);
        var routeId = (await store.Routes.UpsertAsync(StoredRoute.From(Pool("a.example.net", "10.0.0.1:443", "10.0.0.2:443", "10.0.0.3:443"), listenerId))).Id;
        Assert.True(await store.Routes.SetBackendStateAsync(routeId, "10.0.0.2:443", BackendAdminState.Drain, CancellationToken.None));
        Assert.True(await store.Routes.SetBackendStateAsync(routeId, "10.0.0.3:443", BackendAdminState.Disabled, CancellationToken.None));

        await store.Routes.UpsertAsync(StoredRoute.From(Pool("a.example.net", "10.0.0.4:443", "10.0.0.2:443", "10.0.0.1:443"), listenerId));

        var stored = Assert.Single(store.Routes.List());
        Assert.Equal(routeId, stored.Id);
        Assert.Equal(["10.0.0.4:443", "10.0.0.2:443", "10.0.0.1:443"], stored.Route.Backends);
        Assert.Equal(BackendAdminState.Drain, stored.BackendStates["10.0.0.2:443"]);
        Assert.Equal(BackendAdminState.Enabled, stored.BackendStates["10.0.0.4:443"]);
        Assert.Equal(BackendAdminState.Enabled, stored.BackendStates["10.0.0.1:443"]);
        Assert.False(stored.BackendStates.ContainsKey("10.0.0.3:443"));
        Assert.Equal(3L, store.Database.Read(c => Scalar(c, "SELECT COUNT(*) FROM route_backends")));
    }

    [Fact]
    public async Task SetBackendState_FalseForAnUnknownBackendOrRoute_AndChangesNothing()
    {
        using var store = ProxyStore.Open(DbPath);
        var listenerId = await AddListener(store);
        var routeId = (await store.Routes.UpsertAsync(StoredRoute.From(Pool("a.example.net", "10.0.0.1:443", "10.0.0.2:443"), listenerId))).Id;

        Assert.False(await store.Routes.SetBackendStateAsync(routeId, "10.0.0.9:443", BackendAdminState.Drain, CancellationToken.None));
        Assert.False(await store.Routes.SetBackendStateAsync(routeId + 100, "10.0.0.1:443", BackendAdminState.Drain, CancellationToken.None));

        Assert.All(Assert.Single(store.Routes.List()).BackendStates.Values, s => Assert.Equal(BackendAdminState.Enabled, s));
    }

    [Fact]
    public async Task DeletingARoute_DeletesItsPool_ByCascade()
    {
        using var store = ProxyStore.Open(DbPath);
        var listenerId = await AddListener(store);
        await store.Routes.UpsertAsync(StoredRoute.From(Pool("a.example.net", "10.0.0.1:443", "10.0.0.2:443"), listenerId));
        await store.Routes.UpsertAsync(StoredRoute.From(Pool("b.example.net", "10.0.0.1:443"), listenerId));

        Assert.True(await store.Routes.DeleteAsync(listenerId, "a.example.net"));

        Assert.Equal(1L, store.Database.Read(c => Scalar(c, "SELECT COUNT(*) FROM route_backends")));
        Assert.Equal(["10.0.0.1:443"], Assert.Single(store.Routes.List()).Route.Backends);
    }

    [Fact]
    public async Task Reopen_KeepsPoolsAndAdminStates()
    {
        using (var store = ProxyStore.Open(DbPath))
        {
            var listenerId = await AddListener(store);
            var routeId = (await store.Routes.UpsertAsync(StoredRoute.From(Pool("a.example.net", "10.0.0.1:443", "10.0.0.2:443"), listenerId))).Id;
            await store.Routes.SetBackendStateAsync(routeId, "10.0.0.1:443", BackendAdminState.Drain, CancellationToken.None);
        }

        SqliteConnection.ClearAllPools();
        using var reopened = ProxyStore.Open(DbPath);

        var stored = Assert.Single(reopened.Routes.List());
        Assert.Equal(["10.0.0.1:443", "10.0.0.2:443"], stored.Route.Backends);
        Assert.Equal(BalanceAlgorithm.RoundRobin, stored.Route.Balance);
        Assert.Equal(BackendAdminState.Drain, stored.BackendStates["10.0.0.1:443"]);
        Assert.Equal(BackendAdminState.Enabled, stored.BackendStates["10.0.0.2:443"]);
    }

    [Fact]
    public async Task AnAdminStateOutsideTheThree_IsRefusedByTheSchema()
    {
        using var store = ProxyStore.Open(DbPath);
        var listenerId = await AddListener(store);
        await store.Routes.UpsertAsync(StoredRoute.From(Pool("a.example.net", "10.0.0.1:443"), listenerId));

        var refused = Assert.Throws<SqliteException>(() => store.Database.Read(c => Scalar(c, "UPDATE route_backends SET admin_state = 'maint'")));

        Assert.True(refused.IsConstraintViolation());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static Task<long> AddListener(ProxyStore store)
        => store.Database.WriteAsync((connection, transaction) => ListenerRepository.Insert(connection, transaction, new StoredListener(0, "127.0.0.1:8443", false, [], null, 0)));

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
