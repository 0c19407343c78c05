using System.Security.Cryptography.X509Certificates;

namespace McProxy.Client;

/// <summary>How a <see cref="McProxyClient"/> reaches and trusts the admin endpoint over TCP.</summary>
public sealed class McProxyClientOptions
{
    /// <summary>
    /// Certificates the server's certificate must chain to (CA certificates), or be exactly (a pinned leaf).
    /// Empty: the system's trust store decides.
    /// </summary>
    public IList<X509Certificate2> TrustedCertificates { get; } = [];

    /// <summary>The certificate, with its private key, presented for mTLS; null: none.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>The name the server's certificate must carry; null: the host of the address.</summary>
    public string? ServerName { get; set; }

    /// <summary>Skips the name check when the server presents exactly a pinned certificate (as `mc-proxy status` does).</summary>
    public bool AllowPinnedCertificateForAnyName { get; set; }
}
