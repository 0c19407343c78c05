using System.Security.Cryptography.X509Certificates;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Http.Forwarding;

/// <summary>
/// A route's <c>backend_ca</c>: the certificates its backend must chain to. The <see cref="FileWatcher"/> checks the
/// file at each tick and re-reads it when it changed, so a rotated CA applies to the next backend connection
/// without a restart; a backend TLS handshake reads the bundle from memory. A file that cannot be read or holds no
/// certificate keeps the last good bundle, is logged once, and is retried when it changes again.
/// </summary>
internal sealed partial class BackendCa
{
    private readonly WatchedFile<X509Certificate2Collection> _file;
    private readonly ILogger _logger;

    /// <summary>Loads the file now and has <paramref name="files"/> check it from then on.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be read or holds no PEM certificate.</exception>
    public BackendCa(string path, FileWatcher files, ILogger logger)
    {
        _file = WatchedFile<X509Certificate2Collection>.TryOpen(path, (out string? why) => Load(path, out why), out var reason)
            ?? throw new InvalidOperationException($"backend_ca {path}: {reason}");
        _logger = logger;
        files.Add(Refresh);
    }

    /// <summary>The bundle in force: the last that loaded.</summary>
    public X509Certificate2Collection Roots => _file.Current!;

    /// <summary>The watcher's check: re-reads the file when it changed.</summary>
    private void Refresh()
    {
        if (_file.Refresh(out var reason))
        {
            Log.Reloaded(_logger, _file.Path, Roots.Count);
        }
        else if (reason is not null)
        {
            // Likely caught mid-write: the previous bundle stays until the file changes again.
            Log.ReloadFailed(_logger, _file.Path, reason);
        }
    }

    /// <summary>The certificates in the file, or null with <paramref name="reason"/>.</summary>
    private static X509Certificate2Collection? Load(string path, out string? reason)
    {
        var roots = FileRules.LoadCaBundle(path, "backend_ca", out var error);
        reason = error?.Message;
        return roots;
    }

    private static partial class Log
    {
        [LoggerMessage(311, LogLevel.Information, "backend_ca {Path} reloaded: {Count} certificate(s)", EventName = "BackendCaReloaded")]
        public static partial void Reloaded(ILogger logger, string path, int count);

        [LoggerMessage(312, LogLevel.Warning, "backend_ca {Path} changed but cannot be used ({Reason}): still verifying backends against the previous bundle", EventName = "BackendCaReloadFailed")]
        public static partial void ReloadFailed(ILogger logger, string path, string reason);
    }
}
