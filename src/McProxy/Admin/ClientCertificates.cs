using System.Security.Cryptography.X509Certificates;

namespace McProxy.Admin;

/// <summary>mTLS client verification against the configured client_ca only, never the system store.</summary>
internal static class ClientCertificates
{
    public static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // Client authentication EKU: a server certificate from the same CA is not a client identity.
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }
}
