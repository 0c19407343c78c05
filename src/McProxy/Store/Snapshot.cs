using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace McProxy.Store;

/// <summary>Consistent backups with VACUUM INTO: a reader transaction, so a running server keeps writing.</summary>
internal static partial class Snapshot
{
    /// <summary>Writes <c>&lt;db dir&gt;/backups/mc-proxy-&lt;UTC timestamp&gt;.db</c> and returns its path.</summary>
    public static string Write(string databasePath, DateTimeOffset now)
    {
        var directory = BackupDirectory(databasePath);
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

    /// <summary>Where <see cref="Write"/> puts snapshots of <paramref name="databasePath"/>.</summary>
    public static string BackupDirectory(string databasePath)
        => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(databasePath))!, "backups");

    /// <summary>
    /// Deletes all but the <paramref name="keep"/> newest snapshots in the backup directory and returns the paths
    /// deleted. Only files named as <see cref="Write"/> names them are considered: anything else an operator put
    /// there stays.
    /// </summary>
    public static IReadOnlyList<string> Prune(string databasePath, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var deleted = new List<string>();
        foreach (var old in List(databasePath).Skip(keep))
        {
            File.Delete(old);
            deleted.Add(old);
        }

        return deleted;
    }

    /// <summary>The newest snapshot of <paramref name="databasePath"/>, or null when there is none.</summary>
    public static string? Newest(string databasePath) => List(databasePath) is [var newest, ..] ? newest : null;

    /// <summary>
    /// The snapshots in the backup directory, newest first: only files named as <see cref="Write"/> names them.
    /// Newest is read from the name (the UTC timestamp, then the collision suffix), not from file times, which a
    /// copy or a restore from elsewhere may have changed.
    /// </summary>
    public static IReadOnlyList<string> List(string databasePath)
    {
        var directory = BackupDirectory(databasePath);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var snapshots = new List<(string Path, string Stamp, int Suffix)>();
        foreach (var path in Directory.EnumerateFiles(directory, "mc-proxy-*.db"))
        {
            var match = SnapshotName().Match(Path.GetFileName(path));
            if (match.Success)
            {
                var suffix = match.Groups[2].Success ? int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : 0;
                snapshots.Add((path, match.Groups[1].Value, suffix));
            }
        }

        return snapshots
            .OrderByDescending(s => s.Stamp, StringComparer.Ordinal)
            .ThenByDescending(s => s.Suffix)
            .Select(s => s.Path)
            .ToList();
    }

    [GeneratedRegex(@"^mc-proxy-(\d{8}T\d{6}Z)(?:-(\d{1,9}))?\.db$", RegexOptions.CultureInvariant)]
    private static partial Regex SnapshotName();
}
