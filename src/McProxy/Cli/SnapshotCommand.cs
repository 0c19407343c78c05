using System.CommandLine;
using McProxy.Client;
using McProxy.Store;

namespace McProxy.Cli;

/// <summary>`mc-proxy snapshot -c FILE`: a consistent copy of the database with VACUUM INTO, safe while the server runs.</summary>
internal sealed class SnapshotCommand : Command
{
    public SnapshotCommand(TextWriter stdout, TextWriter stderr)
        : base("snapshot", "Write a consistent database backup to <db dir>/backups/")
    {
        var configOption = McProxyCli.ConfigOption();
        var keepOption = new Option<int?>("--keep")
        {
            HelpName = "N",
            Description = "After writing, delete all but the N newest snapshots in the backups directory (default: delete none)",
        };
        Options.Add(configOption);
        Options.Add(keepOption);
        SetAction((result, cancellationToken) => RunAsync(result.GetRequiredValue(configOption), result.GetValue(keepOption), stdout, stderr));
    }

    private static async Task<int> RunAsync(string configPath, int? keep, TextWriter stdout, TextWriter stderr)
    {
        if (keep < 1)
        {
            // Zero would delete the snapshot just written.
            await stderr.WriteLineAsync("mc-proxy: --keep must be at least 1");
            return ExitCodes.BadConfig;
        }

        if (await McProxyCli.LoadConfigAsync(configPath, stderr, loadFiles: false) is not { } config)
        {
            return ExitCodes.BadConfig;
        }

        if (!File.Exists(config.Database.Path))
        {
            await stderr.WriteLineAsync($"mc-proxy: database {config.Database.Path} does not exist (start the server once to create it)");
            return ExitCodes.Failed;
        }

        try
        {
            var path = Snapshot.Write(config.Database.Path, DateTimeOffset.UtcNow);
            await stdout.WriteLineAsync(path);
            if (keep is { } count)
            {
                // Removals go to stderr, so stdout stays the one path a script captures.
                foreach (var removed in Snapshot.Prune(config.Database.Path, count))
                {
                    await stderr.WriteLineAsync($"mc-proxy: removed old snapshot {removed}");
                }
            }

            return ExitCodes.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            await stderr.WriteLineAsync($"mc-proxy: snapshot failed: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
