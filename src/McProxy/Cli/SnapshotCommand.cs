using System.CommandLine;
using McProxy.Config;
using McProxy.Store;

namespace McProxy.Cli;

/// <summary>`mc-proxy snapshot -c FILE`: a consistent copy of the database with VACUUM INTO, safe while the server runs.</summary>
internal sealed class SnapshotCommand : Command
{
    public SnapshotCommand(TextWriter stdout, TextWriter stderr)
        : base("snapshot", "Write a consistent database backup to <db dir>/backups/")
    {
        var configOption = McProxyCli.ConfigOption();
        Options.Add(configOption);
        SetAction((result, cancellationToken) => RunAsync(result.GetRequiredValue(configOption), stdout, stderr));
    }

    private static async Task<int> RunAsync(string configPath, TextWriter stdout, TextWriter stderr)
    {
        ProxyConfig config;
        try
        {
            config = ConfigLoader.Load(configPath);
        }
        catch (ConfigException e)
        {
            await stderr.WriteLineAsync(e.Message);
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
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            await stderr.WriteLineAsync($"mc-proxy: snapshot failed: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
