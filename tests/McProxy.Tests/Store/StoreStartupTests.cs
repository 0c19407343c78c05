using McProxy.Client;
using McProxy.Store;
using McProxy.Tests.TestInfrastructure;
using Microsoft.Data.Sqlite;

namespace McProxy.Tests.Store;

/// <summary>
/// `mc-proxy server` against the database it finds, through the real binary: a newer schema, a file that is not a
/// database and a missing or empty database beside snapshots are refused with what to do, the file untouched and
/// nothing created; `--seed` seeds anyway.
/// </summary>
public sealed class StoreStartupTests : IDisposable
{
    private const string ListenerAddr = "127.0.0.1:0";

    private readonly string _directory = TestProxy.CreateTempDirectory();

    public StoreStartupTests()
    {
        ConfigPath = Path.Combine(_directory, "mc-proxy.toml");
        File.WriteAllText(ConfigPath, $"""
            [database]
            path = "mc-proxy.db"
            [log]
            level = "info"
            [[listeners]]
            addr = "{ListenerAddr}"
              [[listeners.routes]]
              hostname = "seeded.example.test"
              backend = "127.0.0.1:1"
            """);
    }

    private string ConfigPath { get; }

    private string DatabasePath => Path.Combine(_directory, "mc-proxy.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task NewerSchema_IsRefusedSayingWhatToDo_AndTheFileIsUntouched()
    {
        CreateDatabase(DatabasePath, "INSERT INTO schema_migrations (version, name) VALUES (7, 'from a newer build')");
        var bytes = await File.ReadAllBytesAsync(DatabasePath);

        var (exit, stderr) = await RunRefusedAsync();

        Assert.Equal(ExitCodes.BadConfig, exit);
        Assert.Contains($"database {DatabasePath} has schema version 7, newer than this build's {Migrations.All[^1].Version}", stderr, StringComparison.Ordinal);
        Assert.Contains("run a newer mc-proxy, or restore a snapshot made by this version", stderr, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(DatabasePath));
    }

    [Fact]
    public async Task NotADatabase_IsRefusedNamingTheFile_WithoutAStackTrace_AndTheFileIsUntouched()
    {
        var bytes = Enumerable.Repeat("these are an operator's notes, not a database\n"u8.ToArray(), 40).SelectMany(b => b).ToArray();
        await File.WriteAllBytesAsync(DatabasePath, bytes);

        var (exit, stderr) = await RunRefusedAsync();

        Assert.Equal(ExitCodes.BadConfig, exit);
        Assert.Contains($"database {DatabasePath}: file is not a database", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("SQLite Error", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(DatabasePath));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MissingOrEmptyDatabase_BesideSnapshots_IsRefusedNamingTheNewest_AndNothingIsCreated(bool emptyFile)
    {
        var newest = WriteSnapshots();
        if (emptyFile)
        {
            await File.WriteAllBytesAsync(DatabasePath, []);
        }

        var (exit, stderr) = await RunRefusedAsync();

        Assert.Equal(ExitCodes.BadConfig, exit);
        Assert.Contains($"database {DatabasePath} is {(emptyFile ? "empty" : "missing")}", stderr, StringComparison.Ordinal);
        Assert.Contains($"Restore the newest, {newest}", stderr, StringComparison.Ordinal);
        Assert.Contains("mc-proxy server --seed", stderr, StringComparison.Ordinal);
        Assert.Equal(emptyFile, File.Exists(DatabasePath));
        if (emptyFile)
        {
            Assert.Equal(0, new FileInfo(DatabasePath).Length);
        }

        Assert.False(File.Exists(DatabasePath + "-wal"));
        Assert.False(File.Exists(DatabasePath + "-shm"));
    }

    [Fact]
    public async Task MissingDatabase_BesideSnapshots_WithSeed_SeedsFromTheConfig()
    {
        WriteSnapshots();

        using (var server = ServerProcess.Start("server", "-c", ConfigPath, "--seed"))
        {
            await server.WaitForLineAsync(l => l.Contains("\"EventId\":101,", StringComparison.Ordinal));
            await server.WaitForLineAsync(l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
            Assert.Equal(0, await server.TerminateAsync());
        }

        using var store = ProxyStore.Open(DatabasePath);
        Assert.Equal([ListenerAddr], store.Listeners.List().Select(l => l.Addr));
        Assert.Equal(["seeded.example.test"], store.Routes.List().Select(r => r.Hostname));
    }

    [Fact]
    public async Task MissingDatabase_WithoutSnapshots_IsSeededAsAFreshInstall()
    {
        // backups/ exists but holds nothing named as a snapshot: still a fresh install.
        Directory.CreateDirectory(Snapshot.BackupDirectory(DatabasePath));
        await File.WriteAllTextAsync(Path.Combine(Snapshot.BackupDirectory(DatabasePath), "README"), "not a snapshot");

        using (var server = ServerProcess.Start("server", "-c", ConfigPath))
        {
            await server.WaitForLineAsync(l => l.Contains("\"EventId\":101,", StringComparison.Ordinal));
            Assert.Equal(0, await server.TerminateAsync());
        }

        using var store = ProxyStore.Open(DatabasePath);
        Assert.Equal([ListenerAddr], store.Listeners.List().Select(l => l.Addr));
    }

    /// <summary>Runs the server, which must exit by itself; returns its exit code and standard error.</summary>
    private async Task<(int Exit, string Stderr)> RunRefusedAsync()
    {
        using var server = ServerProcess.Start("server", "-c", ConfigPath);
        var exit = await server.WaitForExitAsync();
        Assert.DoesNotContain(server.StdoutLines, l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
        return (exit, string.Join("\n", server.StderrLines));
    }

    /// <summary>Three snapshots named as `mc-proxy snapshot` names them, and two files that are not; returns the newest.</summary>
    private string WriteSnapshots()
    {
        var source = Path.Combine(_directory, "source", "mc-proxy.db");
        CreateDatabase(source, "INSERT INTO listeners (addr) VALUES ('127.0.0.1:1')");
        var backups = Snapshot.BackupDirectory(DatabasePath);
        Directory.CreateDirectory(backups);
        foreach (var name in (string[])["mc-proxy-20261201T030000Z.db", "mc-proxy-20261202T030000Z.db", "mc-proxy-20261202T030000Z-1.db", "mc-proxy-latest.db", "mc-proxy-20261203T030000Z.db.partial"])
        {
            File.Copy(source, Path.Combine(backups, name));
        }

        return Path.Combine(backups, "mc-proxy-20261202T030000Z-1.db");
    }

    /// <summary>A database at this build's schema, with <paramref name="sql"/> applied, closed and checkpointed.</summary>
    private static void CreateDatabase(string path, string sql)
    {
        using (var store = ProxyStore.Open(path))
        {
            store.Database.Read(connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                return command.ExecuteNonQuery();
            });
        }

        SqliteConnection.ClearAllPools();
    }
}
