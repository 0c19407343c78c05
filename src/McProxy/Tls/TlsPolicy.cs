using System.Net.Security;
using McProxy.Config;

namespace McProxy.Tls;

/// <summary>
/// The TLS terms every endpoint that terminates TLS offers ([tls], SPEC §3): the versions from <c>min_version</c>,
/// resumption per <c>session_tickets</c>, and on TLS 1.2 only ECDHE key exchange with AEAD ciphers (AES-GCM,
/// CHACHA20-POLY1305), as Mozilla's "intermediate" profile and HAProxy's defaults do: no CBC (Lucky13 and its
/// kin), no RSA key exchange (no forward secrecy).
/// </summary>
/// <remarks>
/// TLS 1.3's suites are all AEAD with ephemeral key exchange, so TLS 1.3 alone needs no restriction. TLS 1.2 does.
/// A <see cref="CipherSuitesPolicy"/> has a price on Linux: .NET's OpenSSL layer neither reuses an SSL_CTX nor
/// resumes a session for a connection with a cipher policy (it keys its context cache by certificate and protocols
/// only). So L7 routes restrict the shared context itself (<see cref="McProxy.Http.Tls.SharedTlsContexts"/>) and use the policy only
/// where that is not possible; with <c>session_tickets = false</c> .NET shares no context anyway, and the policy
/// applies.
/// </remarks>
internal static class TlsPolicy
{
    /// <summary>The TLS 1.2 suites offered; <see cref="McProxy.Http.Tls.SharedTlsContexts.Tls12CipherList"/> names the same in OpenSSL's terms.</summary>
    private static readonly TlsCipherSuite[] Tls12Only =
    [
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>One instance for every connection, built once: the suites never change.</summary>
    private static readonly CipherSuitesPolicy? Tls12Suites = CreateSuites();

    /// <summary>
    /// Sets versions, resumption and suites on <paramref name="options"/>. <paramref name="tls12SuitesOnContext"/>:
    /// the connection's shared OpenSSL context already offers only the TLS 1.2 suites (<see cref="McProxy.Http.Tls.SharedTlsContexts"/>).
    /// </summary>
    public static void Apply(SslServerAuthenticationOptions options, TlsConfig config, bool tls12SuitesOnContext = false)
    {
        options.EnabledSslProtocols = config.EnabledProtocols;
        // Off: no session cache and no usable ticket, so every connection does a full handshake.
        options.AllowTlsResume = config.SessionTickets;
        if (config.MinVersion != System.Security.Authentication.SslProtocols.Tls13 && !tls12SuitesOnContext)
        {
            options.CipherSuitesPolicy = Tls12Suites;
        }
    }

    /// <summary>
    /// Whether a negotiated suite is one this policy offers: a check after the handshake, so that a context that lost
    /// its restriction (a runtime change) ends connections rather than silently serving CBC.
    /// </summary>
    public static bool Offers(SslStream stream) => stream.SslProtocol != System.Security.Authentication.SslProtocols.Tls12
        || !OperatingSystem.IsLinux()
        || Array.IndexOf(Tls12Only, stream.NegotiatedCipherSuite) >= 0;

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
            .. Tls12Only,
        ]);
    }
}
