using McProxy.Config;
using McProxy.Model;
using McProxy.Store;
using Microsoft.Data.Sqlite;

namespace McProxy.Tests.Store;

[UnitTest]
public sealed class ProxyStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-proxy-store-").FullName;

    private string DbPath => Path.Combine(_dir, "db", "mc-proxy.db");

    private static ProxyConfig Config(string extra = "") => ConfigLoader.Parse($$"""
        [database]
        path = "unused.db"
        [[listeners]]
        addr = "127.0.0.1:8443"
        default_route = "a.example.net"
          [[listeners.routes]]
          hostname = "a.example.net"
          backend = "127.0.0.1:9000"
          send_proxy_protocol = true
        [firewall]
        blocked_ips = ["192.0.2.1"]
        blocked_cidrs = ["198.51.100.0/24"]
        {{extra}}
        """, "test.toml", "/");

    [Fact]
    public void Open_AppliesEveryMigration_InWalMode_WithForeignKeys()
    {
        using var store = ProxyStore.Open(DbPath);

        Assert.Equal(Migrations.All.Count, store.Database.SchemaVersion);
        Assert.Equal(5, store.Database.SchemaVersion);
        store.Database.Read(connection =>
        {
            Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode"));
            Assert.Equal(1L, Scalar(connection, "PRAGMA foreign_keys"));
            foreach (var table in new[] { "listeners", "routes", "firewall_rules", "l7_policies", "route_backends" })
            {
                Assert.Equal(1L, Scalar(connection, $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"));
            }

            return 0;
        });
    }

    [Fact]
    public void Reopen_DoesNotReapplyMigrations()
    {
        ProxyStore.Open(DbPath).Dispose();
        using var store = ProxyStore.Open(DbPath);

        Assert.Equal(5L, store.Database.Read(c => Scalar(c, "SELECT COUNT(*) FROM schema_migrations")));
    }

    [Fact]
    public async Task Seed_FillsAnEmptyDatabaseOnce_ThenLeavesItAlone()
    {
        using var store = ProxyStore.Open(DbPath);

        Assert.True(await Seeder.SeedIfEmptyAsync(store.Database, Config()));
        Assert.False(await Seeder.SeedIfEmptyAsync(store.Database, Config("blocked_countries = []\nrate_limit = 3")));

        var listener = Assert.Single(store.Listeners.List());
        Assert.Equal("a.example.net", listener.DefaultRoute);
        var route = Assert.Single(store.Routes.List(listener.Id));
        Assert.True(route.Route.SendProxyProtocol);
        Assert.Equal(["cidr:198.51.100.0/24", "ip:192.0.2.1"], store.FirewallRules.List().Select(r => $"{r.Type}:{r.Value}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FirewallRulesAlone_CountAsNotEmpty()
    {
        using var store = ProxyStore.Open(DbPath);
        Assert.True(await store.FirewallRules.AddAsync(StoredFirewallRule.Ip, "192.0.2.9"));

        Assert.False(await Seeder.SeedIfEmptyAsync(store.Database, Config()));
        Assert.Empty(store.Listeners.List());
    }

    [Fact]
    public async Task Upsert_ReplacesTheRouteOfTheSameHostname_AndDeleteRemovesIt()
    {
        using var store = ProxyStore.Open(DbPath);
        await Seeder.SeedIfEmptyAsync(store.Database, Config());
        var listenerId = store.Listeners.List()[0].Id;
        var firstId = store.Routes.GetRouteId(listenerId, "a.example.net");

        var updated = await store.Routes.UpsertAsync(StoredRoute.From(new RouteSettings { Hostname = "a.example.net", Backends = ["127.0.0.1:9999"] }, listenerId));
        var added = await store.Routes.UpsertAsync(StoredRoute.From(new RouteSettings { Hostname = "*.b.example.net", Backends = ["127.0.0.1:9001"] }, listenerId));

        Assert.Equal(firstId, updated.Id);
        Assert.Equal(firstId, store.Routes.GetRouteId(listenerId, "a.example.net"));
        Assert.Equal(["*.b.example.net:127.0.0.1:9001", "a.example.net:127.0.0.1:9999"], store.Routes.List(listenerId).Select(r => $"{r.Hostname}:{r.Route.Backend}").Order(StringComparer.Ordinal));
        Assert.NotEqual(firstId, added.Id);

        Assert.True(await store.Routes.DeleteAsync(listenerId, "*.b.example.net"));
        Assert.False(await store.Routes.DeleteAsync(listenerId, "*.b.example.net"));
        Assert.Null(store.Routes.GetRouteId(listenerId, "*.b.example.net"));
        Assert.Null(store.Routes.GetRouteId(listenerId + 100, "a.example.net"));
    }

    [Fact]
    public async Task Policies_DuplicateRefused_DeletedWithTheirRoute()
    {
        using var store = ProxyStore.Open(DbPath);
        await Seeder.SeedIfEmptyAsync(store.Database, Config());
        var listenerId = store.Listeners.List()[0].Id;
        var routeId = store.Routes.GetRouteId(listenerId, "a.example.net")!.Value;

        await store.L7Policies.CreateAsync(routeId, "block_user_agent", "GPTBot");
        await store.L7Policies.CreateAsync(routeId, "require_header", "X-Api-Key");
        var duplicate = await Assert.ThrowsAsync<SqliteException>(() => store.L7Policies.CreateAsync(routeId, "block_user_agent", "GPTBot"));
        Assert.Equal(19, duplicate.SqliteErrorCode); // SQLITE_CONSTRAINT
        await Assert.ThrowsAsync<SqliteException>(() => store.L7Policies.CreateAsync(routeId, "block_everything", "x"));
        await Assert.ThrowsAsync<SqliteException>(() => store.L7Policies.CreateAsync(routeId, "require_header", ""));
        await Assert.ThrowsAsync<SqliteException>(() => store.L7Policies.CreateAsync(routeId + 100, "require_header", "X"));
        Assert.Equal(2, store.L7Policies.List(routeId).Count);

        Assert.True(await store.L7Policies.DeleteAsync(routeId, "require_header", "X-Api-Key"));
        Assert.Single(store.L7Policies.List(routeId));

        await store.Routes.DeleteAsync(listenerId, "a.example.net");
        Assert.Empty(store.L7Policies.List());
    }

    [Fact]
    public async Task FirewallRules_AddIsIdempotent_RemoveReportsWhetherItExisted()
    {
        using var store = ProxyStore.Open(DbPath);

        Assert.True(await store.FirewallRules.AddAsync(StoredFirewallRule.Country, "KP"));
        Assert.False(await store.FirewallRules.AddAsync(StoredFirewallRule.Country, "KP"));
        Assert.True(await store.FirewallRules.RemoveAsync(StoredFirewallRule.Country, "KP"));
        Assert.False(await store.FirewallRules.RemoveAsync(StoredFirewallRule.Country, "KP"));
        Assert.Empty(store.FirewallRules.List());
    }

    [Fact]
    public async Task FailedWrite_RollsBackTheWholeTransaction()
    {
        using var store = ProxyStore.Open(DbPath);
        await Seeder.SeedIfEmptyAsync(store.Database, Config());

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.Database.WriteAsync<int>((connection, transaction) =>
        {
            FirewallRuleRepository.Insert(connection, transaction, StoredFirewallRule.Ip, "192.0.2.50");
            throw new InvalidOperationException("fail after the insert");
        }));

        Assert.DoesNotContain(store.FirewallRules.List(), r => r.Value == "192.0.2.50");
    }

    [Fact]
    public async Task Snapshot_WritesAConsistentCopyIntoBackups()
    {
        using var store = ProxyStore.Open(DbPath);
        await Seeder.SeedIfEmptyAsync(store.Database, Config());
        var now = new DateTimeOffset(2026, 11, 27, 4, 5, 6, TimeSpan.Zero);

        var first = Snapshot.Write(DbPath, now);
        var second = Snapshot.Write(DbPath, now);

        Assert.Equal(Path.Combine(_dir, "db", "backups", "mc-proxy-20261127T040506Z.db"), first);
        Assert.NotEqual(first, second);
        using var copy = ProxyStore.Open(first);
        Assert.Equal("a.example.net", Assert.Single(copy.Routes.List()).Hostname);
        Assert.Equal(2, copy.FirewallRules.List().Count);
        Assert.Equal("ok", copy.Database.Read(c => Scalar(c, "PRAGMA integrity_check")));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
