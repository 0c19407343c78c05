using System.Security.Cryptography.X509Certificates;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Http.Forwarding;

/// <summary>
/// A route's <c>backend_ca</c>: the certificates its backend must chain to. Each backend TLS handshake (one per new
/// pooled connection, not per request) checks the file's stamp and re-reads it when it changed, so a rotated CA
/// applies to the next connection without a restart. A file that cannot be read or holds no certificate keeps the
/// last good bundle, is logged once, and is retried when it changes again.
/// </summary>
internal sealed partial class BackendCa
{
    private readonly ReloadableFile<X509Certificate2Collection> _file;
    private readonly ILogger _logger;

    /// <exception cref="InvalidOperationException">The file cannot be read or holds no PEM certificate.</exception>
    public BackendCa(string path, ILogger logger)
    {
        _file = ReloadableFile<X509Certificate2Collection>.TryOpen(path, Load, out var reason)
            ?? throw new InvalidOperationException($"backend_ca {path}: {reason}");
        _logger = logger;
    }

    /// <summary>The bundle in force, re-read first when the file has changed.</summary>
    public X509Certificate2Collection Roots
    {
        get
        {
            if (_file.Refresh(out var reason))
            {
                Log.Reloaded(_logger, _file.Path, _file.Current.Count);
            }
            else if (reason is not null)
            {
                // Likely caught mid-write: the previous bundle stays until the file changes again.
                Log.ReloadFailed(_logger, _file.Path, reason);
            }

            return _file.Current;
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
