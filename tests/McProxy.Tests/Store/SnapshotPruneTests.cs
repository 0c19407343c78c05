using McProxy.Cli;
using McProxy.Client;
using McProxy.Store;
using McProxy.Tests.TestInfrastructure;
using Microsoft.Data.Sqlite;

namespace McProxy.Tests.Store;

/// <summary>`mc-proxy snapshot --keep N`, as the daily backup timer runs it: write one, keep the N newest.</summary>
public sealed class SnapshotPruneTests : IDisposable
{
    private readonly string _dir = TestProxy.CreateTempDirectory();

    private string DbPath => Path.Combine(_dir, "mc-proxy.db");

    private string Backups => Path.Combine(_dir, "backups");

    [Fact]
    public void Prune_KeepsTheNewestByNameTimestampThenSuffix_AndLeavesOtherFilesAlone()
    {
        Directory.CreateDirectory(Backups);
        string[] names =
        [
            "mc-proxy-20260101T000000Z.db",
            "mc-proxy-20260102T000000Z.db",
            "mc-proxy-20260102T000000Z-1.db",
            "mc-proxy-20260102T000000Z-2.db",
            "mc-proxy-20251231T235959Z.db",
            "mc-proxy-manual.db",
            "notes.txt",
        ];
        foreach (var name in names)
        {
            File.WriteAllText(Path.Combine(Backups, name), name);
        }

        // File times say the opposite of the names: the names must win.
        File.SetLastWriteTimeUtc(Path.Combine(Backups, "mc-proxy-20251231T235959Z.db"), DateTime.UtcNow);

        var deleted = Snapshot.Prune(DbPath, keep: 2);

        Assert.Equal(
            ["mc-proxy-20251231T235959Z.db", "mc-proxy-20260101T000000Z.db", "mc-proxy-20260102T000000Z.db"],
            deleted.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["mc-proxy-20260102T000000Z-1.db", "mc-proxy-20260102T000000Z-2.db", "mc-proxy-manual.db", "notes.txt"],
            Directory.GetFiles(Backups).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Prune_NoBackupDirectory_DeletesNothing()
    {
        Assert.Empty(Snapshot.Prune(DbPath, keep: 1));
    }

    [Fact]
    public async Task SnapshotCommand_Keep_WritesANewSnapshotAndPrunesTheOldest()
    {
        var config = await WriteConfigAndDatabaseAsync();
        Directory.CreateDirectory(Backups);
        var oldest = Path.Combine(Backups, "mc-proxy-20200101T000000Z.db");
        var older = Path.Combine(Backups, "mc-proxy-20200102T000000Z.db");
        File.WriteAllText(oldest, "");
        File.WriteAllText(older, "");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = await McProxyCli.RunAsync(["snapshot", "-c", config, "--keep", "2"], stdout, stderr, CancellationToken.None);

        Assert.Equal(ExitCodes.Success, exit);
        var written = stdout.ToString().Trim();
        Assert.Equal(Backups, Path.GetDirectoryName(written));
        Assert.Equal([older, written], Directory.GetFiles(Backups).Order(StringComparer.Ordinal));
        Assert.Contains($"removed old snapshot {oldest}", stderr.ToString(), StringComparison.Ordinal);
        using var copy = ProxyStore.Open(written);
        Assert.Equal("a.example.test", Assert.Single(copy.Routes.List()).Hostname);
    }

    [Fact]
    public async Task SnapshotCommand_KeepZero_IsRefusedAndWritesNothing()
    {
        var config = await WriteConfigAndDatabaseAsync();
        var stderr = new StringWriter();

        var exit = await McProxyCli.RunAsync(["snapshot", "-c", config, "--keep", "0"], TextWriter.Null, stderr, CancellationToken.None);

        Assert.Equal(ExitCodes.BadConfig, exit);
        Assert.Contains("--keep", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Backups));
    }

    [Fact]
    public async Task SnapshotCommand_WithoutKeep_DeletesNothing()
    {
        var config = await WriteConfigAndDatabaseAsync();
        Directory.CreateDirectory(Backups);
        var old = Path.Combine(Backups, "mc-proxy-20200101T000000Z.db");
        File.WriteAllText(old, "");

        var exit = await McProxyCli.RunAsync(["snapshot", "-c", config], TextWriter.Null, TextWriter.Null, CancellationToken.None);

        Assert.Equal(ExitCodes.Success, exit);
        Assert.True(File.Exists(old));
        Assert.Equal(2, Directory.GetFiles(Backups).Length);
    }

    private async Task<string> WriteConfigAndDatabaseAsync()
    {
        var config = Path.Combine(_dir, "mc-proxy.toml");
        await File.WriteAllTextAsync(config, """
            [database]
            path = "mc-proxy.db"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "a.example.test"
              backend = "127.0.0.1:1"
            """);

        // A server start seeds the database; the server itself is not needed for a snapshot.
        await using (var proxy = await TestProxy.StartAsync("""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "a.example.test"
              backend = "127.0.0.1:1"
            """, _dir))
        {
        }

        return config;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
