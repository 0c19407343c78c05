using McProxy.Net;
using Microsoft.Data.Sqlite;

namespace McProxy.Store;

/// <summary>
/// The SQLite file: opens connections with WAL, foreign keys and full sync, applies migrations at start-up,
/// and serialises writers so a mutation's commit order is the order callers see.
/// </summary>
internal sealed partial class Database : IDisposable
{
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private Database(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>The schema version of the newest migration this build knows.</summary>
    public static int LatestVersion => Migrations.All[^1].Version;

    /// <summary>
    /// Opens (creating if needed) the database at <paramref name="path"/> and brings its schema up to date. A
    /// schema newer than this build is refused before anything is written; every SQLite error names the file.
    /// </summary>
    public static Database Open(string path)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var database = new Database(path);
        try
        {
            using var connection = database.OpenConnection();
            var current = ReadSchemaVersion(connection);
            RefuseNewer(path, current);
            // WAL: readers never block the writer. synchronous=FULL: an acknowledged change survives power loss too.
            Execute(connection, "PRAGMA journal_mode = WAL;");
            Migrate(connection, current);
        }
        catch (SqliteException e)
        {
            database.Dispose();
            throw Error(path, e);
        }
        catch
        {
            database.Dispose();
            throw;
        }

        return database;
    }

    /// <summary>
    /// Looks at the database at <paramref name="path"/> without creating or changing anything: whether it would
    /// be seeded (missing, zero-length, or without listeners and firewall rules) and whether this build can open
    /// it (not a newer schema, a SQLite file at all). Throws as <see cref="Open"/> does.
    /// </summary>
    public static bool IsMissingOrEmpty(string path)
    {
        var file = new FileInfo(path);
        if (Directory.Exists(path))
        {
            // Not missing: opening it fails, naming the file, rather than a refusal that calls it missing.
            return false;
        }

        if (!file.Exists || file.Length == 0)
        {
            return true;
        }

        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            RefuseNewer(path, ReadSchemaVersion(connection));
            if (!TableExists(connection, "listeners") || !TableExists(connection, "firewall_rules"))
            {
                return true;
            }

            using var count = connection.CreateCommand();
            count.CommandText = "SELECT (SELECT COUNT(*) FROM listeners) + (SELECT COUNT(*) FROM firewall_rules)";
            return (long)count.ExecuteScalar()! == 0;
        }
        catch (SqliteException e)
        {
            throw Error(path, e);
        }
    }

    /// <summary>
    /// A start-up SQLite error as the operator needs it: naming the file, without SQLite's "Error 26" framing.
    /// A file that is not a database or is corrupt needs the operator (restore a snapshot): a refusal; anything
    /// else (permissions, a full disk, a lock) may pass.
    /// </summary>
    public static Exception Error(string path, SqliteException e)
    {
        var match = SqliteMessage().Match(e.Message);
        var message = $"database {path}: {(match.Success ? match.Groups[1].Value : e.Message)}";
        return e.SqliteErrorCode is SqliteNotADatabase or SqliteCorrupt
            ? new StartRefusedException(message + "; restore a snapshot (see RUNBOOK.md, Backups and restore)", e)
            : new InvalidOperationException(message, e);
    }

    private static void RefuseNewer(string path, int version)
    {
        if (version > LatestVersion)
        {
            throw new StartRefusedException(
                $"database {path} has schema version {version}, newer than this build's {LatestVersion}: run a newer mc-proxy, or restore a snapshot made by this version; the file is left untouched");
        }
    }

    private static bool TableExists(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static int ReadSchemaVersion(SqliteConnection connection)
    {
        if (!TableExists(connection, "schema_migrations"))
        {
            return 0;
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = FULL;");
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one transaction under the writer lock; commits only if it returns.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            using var connection = OpenConnection();
            using var transaction = connection.BeginTransaction();
            var result = work(connection, transaction);
            transaction.Commit();
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public T Read<T>(Func<SqliteConnection, T> work)
    {
        using var connection = OpenConnection();
        return work(connection);
    }

    public int SchemaVersion => Read(ReadSchemaVersion);

    private static void Migrate(SqliteConnection connection, int current)
    {
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            );
            """);
        foreach (var (version, name, sql) in Migrations.All)
        {
            if (version <= current)
            {
                continue;
            }

            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = sql;
                command.ExecuteNonQuery();
            }

            using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name) VALUES ($v, $n)";
                record.Parameters.AddWithValue("$v", version);
                record.Parameters.AddWithValue("$n", name);
                record.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Microsoft.Data.Sqlite's "SQLite Error 26: 'file is not a database'." framing around SQLite's own words.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^SQLite Error \d+: '(.*)'\.?$", System.Text.RegularExpressions.RegexOptions.Singleline | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex SqliteMessage();

    public void Dispose()
    {
        _writeLock.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
