using McProxy.Store;
using McProxy.Tests.TestInfrastructure;
using Microsoft.Data.Sqlite;

namespace McProxy.Tests.Store;

/// <summary>RUNBOOK.md's restore procedure, step by step: stop, copy the snapshot over the database, start.</summary>
public sealed class SnapshotRestoreTests : IDisposable
{
    private const string Config = """
        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "a.example.test"
          backend = "127.0.0.1:1"
        """;

    private readonly string _dir = TestProxy.CreateTempDirectory();

    [Fact]
    public async Task Restore_SnapshotCopiedOverTheStoppedDatabase_IsWhatTheNextStartServes()
    {
        string snapshot;
        string current;
        await using (var proxy = await TestProxy.StartAsync(Config, _dir))
        {
            Assert.True(await proxy.Server.Store.FirewallRules.AddAsync("ip", "192.0.2.1"));

            // Taken while the server runs, as the backup timer does.
            snapshot = Snapshot.Write(proxy.DatabasePath, DateTimeOffset.UtcNow);

            // The change to be undone; then the runbook's first step keeps the current state as a snapshot too.
            Assert.True(await proxy.Server.Store.FirewallRules.AddAsync("cidr", "203.0.113.0/24"));
            current = Snapshot.Write(proxy.DatabasePath, DateTimeOffset.UtcNow);
            await proxy.StopAsync();
        }

        var database = Path.Combine(_dir, "mc-proxy.db");
        File.Delete(database + "-wal");
        File.Delete(database + "-shm");
        File.Copy(snapshot, database, overwrite: true);

        await using (var proxy = await TestProxy.StartAsync(Config, _dir))
        {
            var rule = Assert.Single(proxy.Server.Store.FirewallRules.List());
            Assert.Equal(("ip", "192.0.2.1"), (rule.Type, rule.Value));
            Assert.Equal("a.example.test", Assert.Single(proxy.Server.Store.Routes.List()).Hostname);
        }

        // The snapshot kept aside still holds the undone change.
        using var before = ProxyStore.Open(current);
        Assert.Contains(before.FirewallRules.List(), r => r.Value == "203.0.113.0/24");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
