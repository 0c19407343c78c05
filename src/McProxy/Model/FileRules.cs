using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MaxMind.Db;
using MaxMind.GeoIP2;
using McProxy.Net;

namespace McProxy.Model;

/// <summary>
/// Loads and checks the files keys and RPCs name, the same way for the config reader, the admin API and the code that
/// re-reads them while serving: read through <see cref="RegularFile"/> (regular files only, never blocking, size-capped),
/// then parsed. A certificate and its key must load and match; a CA file must hold at least one certificate; a GeoIP
/// database must open. Each failure is a <see cref="RuleError"/> on the field the caller names.
/// </summary>
internal static class FileRules
{
    /// <summary>
    /// The certificate in <paramref name="certPath"/> with the private key in <paramref name="keyPath"/>, or null with
    /// the errors added to <paramref name="errors"/>, each on the field at fault (both, when neither file can be read).
    /// </summary>
    public static CertificatePair? LoadCertificate(string certPath, string certField, string keyPath, string keyField, List<RuleError> errors)
    {
        var certPem = ReadPem(certPath, certField, out var certError);
        var keyPem = ReadPem(keyPath, keyField, out var keyError);
        if (certPem is null || keyPem is null)
        {
            errors.AddRange(new[] { certError, keyError }.OfType<RuleError>());
            return null;
        }

        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(certPem);
        }
        catch (CryptographicException e)
        {
            errors.Add(new RuleError(certField, $"{RuleText.Quote(certPath)} is not a PEM certificate: {e.Message}"));
            return null;
        }

        if (chain.Count == 0)
        {
            errors.Add(new RuleError(certField, $"{RuleText.Quote(certPath)} holds no PEM certificate"));
            return null;
        }

        try
        {
            // The leaf is the first certificate, and the key must be its key: CreateFromPem checks that they match.
            var leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
            if (!leaf.HasPrivateKey)
            {
                leaf.Dispose();
                errors.Add(new RuleError(keyField, $"{RuleText.Quote(keyPath)} holds no private key for the certificate in {RuleText.Quote(certPath)}"));
                return null;
            }

            return new CertificatePair(leaf, chain);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            errors.Add(new RuleError(keyField, $"{RuleText.Quote(keyPath)} is not the private key of the certificate in {RuleText.Quote(certPath)} (or not an unencrypted PEM key): {e.Message}"));
            return null;
        }
    }

    /// <summary>The certificates in a CA bundle, or null with the error when there are none or the file cannot be read.</summary>
    public static X509Certificate2Collection? LoadCaBundle(string path, string field, out RuleError? error)
    {
        if (ReadPem(path, field, out error) is not { } pem)
        {
            return null;
        }

        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            error = new RuleError(field, $"{RuleText.Quote(path)} is not a PEM certificate bundle: {e.Message}");
            return null;
        }

        if (bundle.Count == 0)
        {
            error = new RuleError(field, $"{RuleText.Quote(path)} holds no PEM certificate");
            return null;
        }

        return bundle;
    }

    /// <summary>The MaxMind database in <paramref name="path"/>, read whole into memory (lookups never touch the disk), or null with the error.</summary>
    public static DatabaseReader? OpenGeoIp(string path, string field, out RuleError? error)
    {
        if (RegularFile.TryRead(path, RegularFile.MaxGeoIpBytes, out var reason) is not { } bytes)
        {
            error = new RuleError(field, $"file {RuleText.Quote(path)} {reason}");
            return null;
        }

        try
        {
            error = null;
            return new DatabaseReader(new MemoryStream(bytes, writable: false));
        }
        catch (Exception e) when (e is InvalidDatabaseException or IOException or ArgumentException or InvalidOperationException)
        {
            error = new RuleError(field, $"{RuleText.Quote(path)} is not a MaxMind database: {e.Message}");
            return null;
        }
    }

    private static string? ReadPem(string path, string field, out RuleError? error)
    {
        if (RegularFile.TryRead(path, RegularFile.MaxPemBytes, out var reason) is not { } bytes)
        {
            error = new RuleError(field, $"file {RuleText.Quote(path)} {reason}");
            return null;
        }

        error = null;
        return Encoding.UTF8.GetString(bytes);
    }
}
