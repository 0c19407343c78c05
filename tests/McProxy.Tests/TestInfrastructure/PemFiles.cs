using System.Security.Cryptography.X509Certificates;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>Writes a certificate and its private key as PEM files, as an operator's tls_cert and tls_key.</summary>
public static class PemFiles
{
    /// <summary>Writes DIR/STEM.pem and DIR/STEM.key; returns their paths.</summary>
    public static (string Cert, string Key) Write(X509Certificate2 certificate, string directory, string stem)
    {
        var certPath = Path.Combine(directory, stem + ".pem");
        var keyPath = Path.Combine(directory, stem + ".key");
        using System.Security.Cryptography.AsymmetricAlgorithm key = (System.Security.Cryptography.AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new ArgumentException("the test certificates have ECDSA or RSA keys", nameof(certificate));
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        return (certPath, keyPath);
    }
}
