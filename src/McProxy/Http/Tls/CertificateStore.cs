using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Http.Tls;

/// <summary>
/// The L7 routes' certificates, loaded from their PEM files and cached by path. Every handshake checks both files'
/// modification time and size (two stat calls) and reloads when either changed, so a renewed certificate is served
/// from the next handshake on, without a restart and without touching open connections (they keep the context
/// they were handed). A file that cannot be read or parsed keeps the last good certificate and is logged.
/// </summary>
internal sealed partial class CertificateStore(ILogger logger)
{
    private readonly ConcurrentDictionary<(string Cert, string Key), Entry> _entries = new();

    /// <summary>The certificate context for a route's <c>tls_cert</c> and <c>tls_key</c>; throws when none can be loaded.</summary>
    public SslStreamCertificateContext Get(string certPath, string keyPath)
    {
        var key = (certPath, keyPath);
        var stamp = (FileStamp.Of(certPath), FileStamp.Of(keyPath));
        if (_entries.TryGetValue(key, out var entry) && entry.Stamp == stamp)
        {
            return entry.Context;
        }

        lock (_entries)
        {
            if (_entries.TryGetValue(key, out entry) && entry.Stamp == stamp)
            {
                return entry.Context;
            }

            try
            {
                var context = Load(certPath, keyPath);
                _entries[key] = new Entry(stamp, context);
                if (entry is not null)
                {
                    Log.Reloaded(logger, certPath, context.TargetCertificate.Subject, context.TargetCertificate.NotAfter);
                }

                return context;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException or InvalidOperationException)
            {
                if (entry is null)
                {
                    Log.LoadFailed(logger, certPath, keyPath, e);
                    throw new InvalidOperationException($"cannot load certificate {certPath} with key {keyPath}: {e.Message}", e);
                }

                // Probably caught between the writes of a renewal: keep serving the previous one until the files
                // change again (the renewal's last write), rather than retrying and logging at every handshake.
                Log.ReloadFailed(logger, certPath, keyPath, e);
                _entries[key] = entry with { Stamp = stamp };
                return entry.Context;
            }
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

    private sealed record Entry((FileStamp Cert, FileStamp Key) Stamp, SslStreamCertificateContext Context);

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Information, "Certificate {Path} reloaded: {Subject}, valid until {NotAfter:u}", EventName = "CertificateReloaded")]
        public static partial void Reloaded(ILogger logger, string path, string subject, DateTime notAfter);

        [LoggerMessage(301, LogLevel.Error, "Certificate {Path} with key {KeyPath} cannot be loaded: L7 handshakes for its routes fail", EventName = "CertificateLoadFailed")]
        public static partial void LoadFailed(ILogger logger, string path, string keyPath, Exception exception);

        [LoggerMessage(302, LogLevel.Warning, "Certificate {Path} with key {KeyPath} changed but cannot be loaded: still serving the previous one", EventName = "CertificateReloadFailed")]
        public static partial void ReloadFailed(ILogger logger, string path, string keyPath, Exception exception);
    }
}
