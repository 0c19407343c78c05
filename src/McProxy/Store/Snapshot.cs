using Microsoft.Data.Sqlite;

namespace McProxy.Store;

/// <summary>Consistent backups with VACUUM INTO: a reader transaction, so a running server keeps writing.</summary>
internal static class Snapshot
{
    /// <summary>Writes <c>&lt;db dir&gt;/backups/mc-proxy-&lt;UTC timestamp&gt;.db</c> and returns its path.</summary>
    public static string Write(string databasePath, DateTimeOffset now)
    {
        var directory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(databasePath))!, "backups");
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, $"mc-proxy-{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.db");
        for (var i = 1; File.Exists(target); i++)
        {
            target = Path.Combine(directory, $"mc-proxy-{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{i}.db");
        }

        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "VACUUM INTO $target";
        command.Parameters.AddWithValue("$target", target);
        command.ExecuteNonQuery();
        return target;
    }
}
