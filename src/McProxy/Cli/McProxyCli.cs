using System.CommandLine;
using McProxy.Config;

namespace McProxy.Cli;

/// <summary>The `mc-proxy` command line: server, status, snapshot.</summary>
internal static class McProxyCli
{
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error, CancellationToken.None);

    /// <summary>The seam for tests: output goes to the given writers, and <paramref name="stop"/> stands in for SIGTERM.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken stop)
    {
        var root = new RootCommand("mc-proxy: a TLS SNI proxy and router")
        {
            new ServerCommand(stdout, stderr, stop),
            new StatusCommand(stdout, stderr),
            new SnapshotCommand(stdout, stderr),
        };
        var result = root.Parse(args);
        return await result.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, CancellationToken.None);
    }

    public static Option<string> ConfigOption() => new("--config", "-c")
    {
        Description = "Path to the TOML config, e.g. /srv/mc-proxy/mc-proxy.toml",
        Required = true,
    };

    /// <summary>
    /// The config at <paramref name="path"/>, or null after writing every error to <paramref name="stderr"/>. The files its
    /// keys name are loaded and checked only with <paramref name="loadFiles"/>: the server needs them, status and snapshot do not.
    /// </summary>
    public static async Task<ProxyConfig?> LoadConfigAsync(string path, TextWriter stderr, bool loadFiles = true)
    {
        try
        {
            return ConfigLoader.Load(path, loadFiles);
        }
        catch (ConfigException e)
        {
            await stderr.WriteLineAsync(e.Message);
            return null;
        }
    }
}
