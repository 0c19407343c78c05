using System.Net;
using McProxy.Config;
using McProxy.Net;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// A real mc-proxy server in this process, configured from TOML text like an operator's file, with its
/// database in a temporary directory. Listeners use port 0; <see cref="EndPoint"/> gives the bound address.
/// </summary>
public sealed class TestProxy : IAsyncDisposable
{
    private readonly bool _ownsDirectory;

    private TestProxy(ProxyServer server, string directory, TestLog log, bool ownsDirectory)
    {
        Server = server;
        Directory = directory;
        Log = log;
        _ownsDirectory = ownsDirectory;
    }

    internal ProxyServer Server { get; }

    public string Directory { get; }

    public TestLog Log { get; }

    public string DatabasePath => Path.Combine(Directory, "mc-proxy.db");

    /// <summary>
    /// Starts a proxy; <paramref name="toml"/> is everything but [database], which points into <paramref name="directory"/>.
    /// Its file watcher ticks every <paramref name="fileCheckInterval"/> (30 s by default, as in production).
    /// </summary>
    public static Task<TestProxy> StartAsync(string toml, string? directory = null, TimeSpan? fileCheckInterval = null)
        => StartAsync(toml, config => config, directory, fileCheckInterval);

    /// <summary>As above, with the parsed config changed by <paramref name="configure"/> before the start (settings the TOML does not reach).</summary>
    internal static async Task<TestProxy> StartAsync(string toml, Func<ProxyConfig, ProxyConfig> configure, string? directory = null, TimeSpan? fileCheckInterval = null)
    {
        var ownsDirectory = directory is null;
        directory ??= CreateTempDirectory();
        var config = configure(ConfigLoader.Parse($"[database]\npath = \"mc-proxy.db\"\n{toml}", "test.toml", directory));
        var log = new TestLog();
        var server = await ProxyServer.StartAsync(config, log.CreateFactory(), seed: false, fileCheckInterval ?? FileWatcher.DefaultInterval, CancellationToken.None);
        return new TestProxy(server, directory, log, ownsDirectory);
    }

    public static string CreateTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "mc-proxy-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The bound address of the listener configured as <paramref name="addr"/> (the first one by default).</summary>
    public IPEndPoint EndPoint(string? addr = null)
    {
        var listener = addr is null ? Server.Routing.Listeners[0] : Server.Routing.FindListener(addr) ?? throw new ArgumentException($"no listener {addr}");
        return listener.LocalEndPoint!;
    }

    public Task StopAsync() => Server.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Log.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
