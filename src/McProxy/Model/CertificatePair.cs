using System.Security.Cryptography.X509Certificates;

namespace McProxy.Model;

/// <summary>A certificate file and its key file, loaded and checked: the leaf with its private key, and every certificate the file holds (leaf and chain).</summary>
internal sealed record CertificatePair(X509Certificate2 Leaf, X509Certificate2Collection Chain);
