using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Http.Tls;

/// <summary>
/// The L7 routes' certificates, loaded from their PEM files and kept by (cert, key) path pair. A pair is loaded when it
/// is first watched (<see cref="Watch"/>: at start for every L7 route, and for a route added later before it is
/// committed; a pair no one watched is loaded at the first handshake that needs it) and the <see cref="FileWatcher"/>
/// checks both files at each tick, as a pair, and reloads when either changed: a renewed certificate is served from the
/// next handshake after that tick, without a restart and without touching open connections (they keep the context they
/// were handed). A handshake reads the context from memory and never touches the file system. Files that cannot be read
/// or parsed keep the last good certificate and are logged once.
/// </summary>
internal sealed partial class CertificateStore(FileWatcher files, ILogger logger)
{
    private readonly ConcurrentDictionary<(string Cert, string Key), WatchedFile<SslStreamCertificateContext>> _pairs = new();
    private readonly Lock _adding = new();

    /// <summary>The certificate context for a route's <c>tls_cert</c> and <c>tls_key</c>; throws when none is loaded.</summary>
    public SslStreamCertificateContext Get(string certPath, string keyPath)
    {
        var pair = _pairs.TryGetValue((certPath, keyPath), out var watched) ? watched : Watch(certPath, keyPath);
        return pair.Current ?? throw new InvalidOperationException($"cannot load certificate {certPath} with key {keyPath}: {pair.Error}");
    }

    /// <summary>
    /// Loads the pair now, unless it is already watched, and has the watcher check it from then on. A pair that does
    /// not load is logged and watched all the same: it is taken once its files change and load.
    /// </summary>
    public WatchedFile<SslStreamCertificateContext> Watch(string certPath, string keyPath)
    {
        lock (_adding)
        {
            if (_pairs.TryGetValue((certPath, keyPath), out var watched))
            {
                return watched;
            }

            var pair = new WatchedFile<SslStreamCertificateContext>([certPath, keyPath], (out string? reason) => Load(certPath, keyPath, out reason));
            if (pair.Error is { } error)
            {
                Log.LoadFailed(logger, certPath, keyPath, error);
            }

            _pairs[(certPath, keyPath)] = pair;
            files.Add(() => Refresh(pair, keyPath));
            return pair;
        }
    }

    /// <summary>The watcher's check of one pair.</summary>
    private void Refresh(WatchedFile<SslStreamCertificateContext> pair, string keyPath)
    {
        var hadOne = pair.Current is not null;
        if (pair.Refresh(out var reason))
        {
            Log.Reloaded(logger, pair.Path, pair.Current!.TargetCertificate.Subject, pair.Current.TargetCertificate.NotAfter);
        }
        else if (reason is not null && hadOne)
        {
            // Probably caught between the writes of a renewal: keep serving the previous one until the files
            // change again (the renewal's last write).
            Log.ReloadFailed(logger, pair.Path, keyPath, reason);
        }
        else if (reason is not null)
        {
            Log.LoadFailed(logger, pair.Path, keyPath, reason);
        }
    }

    private static SslStreamCertificateContext? Load(string certPath, string keyPath, out string? reason)
    {
        try
        {
            reason = null;
            return Load(certPath, keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException or InvalidOperationException)
        {
            reason = e.Message;
            return null;
        }
    }

    private static SslStreamCertificateContext Load(string certPath, string keyPath)
    {
        // Through FileRules, as the config and the admin API checked them: never blocking on a FIFO swapped in, size-capped.
        var errors = new List<RuleError>();
        var pair = FileRules.LoadCertificate(certPath, "tls_cert", keyPath, "tls_key", errors)
            ?? throw new InvalidOperationException(string.Join("; ", errors));
        using var pem = pair.Leaf;
        // Through PKCS#12 so the private key is usable by SslStream on every platform.
        var leaf = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in pair.Chain)
        {
            if (certificate.Thumbprint != leaf.Thumbprint)
            {
                intermediates.Add(certificate);
            }
        }

        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Information, "Certificate {Path} reloaded: {Subject}, valid until {NotAfter:u}", EventName = "CertificateReloaded")]
        public static partial void Reloaded(ILogger logger, string path, string subject, DateTime notAfter);

        [LoggerMessage(301, LogLevel.Error, "Certificate {Path} with key {KeyPath} cannot be loaded ({Reason}): L7 handshakes for its routes fail", EventName = "CertificateLoadFailed")]
        public static partial void LoadFailed(ILogger logger, string path, string keyPath, string reason);

        [LoggerMessage(302, LogLevel.Warning, "Certificate {Path} with key {KeyPath} changed but cannot be loaded ({Reason}): still serving the previous one", EventName = "CertificateReloadFailed")]
        public static partial void ReloadFailed(ILogger logger, string path, string keyPath, string reason);
    }
}
