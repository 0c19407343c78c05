using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using McProxy.Config;

namespace McProxy.Http.Forwarding;

/// <summary>
/// A route's <c>backend_ca</c>: the certificates its backend must chain to. Each backend TLS handshake (one per new
/// pooled connection, not per request) checks the file's stamp and re-reads it when it changed, so a rotated CA
/// applies to the next connection without a restart. A file that cannot be read or holds no certificate keeps the
/// last good bundle, is logged once, and is retried when it changes again.
/// </summary>
internal sealed partial class BackendCa
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Lock _reload = new();
    private volatile Snapshot _current;

    /// <exception cref="InvalidOperationException">The file cannot be read or holds no PEM certificate.</exception>
    public BackendCa(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
        var stamp = FileStamp.Of(path);
        _current = new Snapshot(stamp, TryLoad(path, out var reason) ?? throw new InvalidOperationException($"backend_ca {path}: {reason}"));
    }

    /// <summary>The bundle in force, re-read first when the file has changed.</summary>
    public X509Certificate2Collection Roots
    {
        get
        {
            var stamp = FileStamp.Of(_path);
            var current = _current;
            if (stamp == current.Stamp)
            {
                return current.Roots;
            }

            lock (_reload)
            {
                current = _current;
                if (stamp != current.Stamp)
                {
                    var roots = TryLoad(_path, out var reason);
                    if (roots is null)
                    {
                        // Likely caught mid-write: keep the previous bundle until the file changes again.
                        Log.ReloadFailed(_logger, _path, reason!);
                    }
                    else
                    {
                        Log.Reloaded(_logger, _path, roots.Count);
                    }

                    current = new Snapshot(stamp, roots ?? current.Roots);
                    _current = current;
                }

                return current.Roots;
            }
        }
    }

    /// <summary>The certificates in the file, or null with <paramref name="reason"/>.</summary>
    private static X509Certificate2Collection? TryLoad(string path, out string? reason)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            reason = e.Message;
            return null;
        }

        reason = roots.Count == 0 ? "holds no PEM certificate" : null;
        return roots.Count == 0 ? null : roots;
    }

    private sealed record Snapshot(FileStamp Stamp, X509Certificate2Collection Roots);

    private static partial class Log
    {
        [LoggerMessage(311, LogLevel.Information, "backend_ca {Path} reloaded: {Count} certificate(s)", EventName = "BackendCaReloaded")]
        public static partial void Reloaded(ILogger logger, string path, int count);

        [LoggerMessage(312, LogLevel.Warning, "backend_ca {Path} changed but cannot be used ({Reason}): still verifying backends against the previous bundle", EventName = "BackendCaReloadFailed")]
        public static partial void ReloadFailed(ILogger logger, string path, string reason);
    }
}
