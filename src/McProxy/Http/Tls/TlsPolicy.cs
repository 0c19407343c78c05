using System.Net.Security;
using McProxy.Config;

namespace McProxy.Http.Tls;

/// <summary>
/// The TLS terms every endpoint that terminates TLS offers ([tls], SPEC §3): the versions from <c>min_version</c>,
/// resumption per <c>session_tickets</c>, and on TLS 1.2 only ECDHE key exchange with AEAD ciphers (AES-GCM,
/// CHACHA20-POLY1305), as Mozilla's "intermediate" profile and HAProxy's defaults do: no CBC (Lucky13 and its
/// kin), no RSA key exchange (no forward secrecy).
/// </summary>
/// <remarks>
/// TLS 1.3's suites are all AEAD with ephemeral key exchange, so TLS 1.3 alone needs no
/// <see cref="CipherSuitesPolicy"/>. TLS 1.2 does, and the policy has a price on Linux: .NET's OpenSSL layer neither
/// reuses an SSL_CTX nor resumes a session for a connection with a cipher policy (it keys its context cache by
/// protocols only). So with <c>min_version = "1.2"</c> no session is resumed, whatever <c>session_tickets</c> says;
/// with <c>"1.3"</c> the policy is left out and <c>session_tickets</c> decides.
/// </remarks>
internal static class TlsPolicy
{
    /// <summary>One instance for every connection, built once: the suites never change.</summary>
    private static readonly CipherSuitesPolicy? Tls12Suites = CreateSuites();

    public static void Apply(SslServerAuthenticationOptions options, TlsConfig config)
    {
        options.EnabledSslProtocols = config.EnabledProtocols;
        // Off: no session cache and no usable ticket, so every connection does a full handshake.
        options.AllowTlsResume = config.SessionTickets;
        if (config.MinVersion != System.Security.Authentication.SslProtocols.Tls13)
        {
            options.CipherSuitesPolicy = Tls12Suites;
        }
    }

    private static CipherSuitesPolicy? CreateSuites()
    {
        // CipherSuitesPolicy is an OpenSSL feature; elsewhere (a developer's Windows machine) the OS defaults apply.
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        return new CipherSuitesPolicy(
        [
            TlsCipherSuite.TLS_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ]);
    }
}
