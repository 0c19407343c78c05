using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Admin;

/// <summary>Certificates the admin endpoint needs beyond <see cref="TestCertificates"/>: an IP-named server certificate and client identities, as PEM files.</summary>
internal static class AdminCertificates
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A server certificate for 127.0.0.1 signed by <paramref name="ca"/>, written as PEM; returns (cert, key) paths.</summary>
    public static (string Cert, string Key) WriteServer(TestCertificates ca, string directory, string name)
        => Write(Issue(ca.Ca, "CN=127.0.0.1", ServerAuth, san => san.AddIpAddress(IPAddress.Loopback)), directory, name);

    /// <summary>A client certificate signed by <paramref name="ca"/>, written as PEM; returns (cert, key) paths.</summary>
    public static (string Cert, string Key) WriteClient(TestCertificates ca, string directory, string name)
        => Write(Issue(ca.Ca, $"CN={name}", ClientAuth, san => san.AddDnsName(name)), directory, name);

    /// <summary>Writes <paramref name="certificate"/> and its key as PEM files.</summary>
    public static (string Cert, string Key) Write(X509Certificate2 certificate, string directory, string name)
    {
        var certPath = Path.Combine(directory, name + ".pem");
        var keyPath = Path.Combine(directory, name + ".key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    public static string WriteCa(TestCertificates ca, string directory, string name)
    {
        var path = Path.Combine(directory, name + "-ca.pem");
        File.WriteAllText(path, ca.Ca.ExportCertificatePem());
        return path;
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, Oid usage, Action<SubjectAlternativeNameBuilder> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        return issued.CopyWithPrivateKey(key);
    }
}
