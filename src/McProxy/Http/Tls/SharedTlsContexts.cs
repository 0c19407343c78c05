using System.Net.Security;
using System.Runtime.CompilerServices;
using McProxy.Config;
using McProxy.Tls;

namespace McProxy.Http.Tls;

/// <summary>
/// Builds the L7 routes' TLS options so that their connections share one OpenSSL context per certificate, with TLS
/// 1.2 still limited to <see cref="TlsPolicy"/>'s suites.
/// </summary>
/// <remarks>
/// On Linux, .NET caches an SSL_CTX per certificate and protocol set, shared by every connection and holding the
/// session cache and ticket keys, except for connections with a <see cref="CipherSuitesPolicy"/>: those get a
/// context of their own (tens of KiB each, and no TLS 1.2 resumption). So the suites are set on the shared context
/// instead, once, before any client connection uses it: the first connection for a certificate context waits while
/// the proxy handshakes with itself in memory using the very options the clients will get (which creates the cached
/// context), restricts that context's cipher list with <c>SSL_CTX_set_cipher_list</c>, and checks that a second
/// handshake gets the same, now restricted, context. Per connection, OpenSSL reads the suites from the context when
/// it chooses one, so nothing is copied. The first handshake's server stream is kept, which holds the context in
/// .NET's cache (an unused one may be evicted and recreated unrestricted); one is kept per certificate ever served.
/// Where any of this is not possible (no <see cref="LibSsl"/>, a handshake failing, a context not cached), the
/// connections fall back to <see cref="CipherSuitesPolicy"/> and pay its price; the suites are the same either way.
/// </remarks>
internal sealed partial class SharedTlsContexts(TlsConfig config, ILogger logger)
{
    /// <summary>
    /// <see cref="TlsPolicy"/>'s TLS 1.2 suites in OpenSSL's names, in Mozilla's "intermediate" order (the server's
    /// preference decides, as .NET sets <c>SSL_OP_CIPHER_SERVER_PREFERENCE</c>).
    /// </summary>
    public const string Tls12CipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" +
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" +
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    /// <summary>
    /// How long a handshake with ourselves may take (it takes milliseconds): the clients of a certificate wait for
    /// it, and one that hung would hold them all until their handshake timeout. Past it, the fallback.
    /// </summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The contexts restricted so far (the cache is the process's, so this is too), each with the stream that holds
    /// it in the cache: a context in here cannot be freed, so its address is not reused for another.
    /// </summary>
    private static readonly Dictionary<nint, SslStream> Restricted = [];

    private readonly ConditionalWeakTable<SslStreamCertificateContext, Lazy<Task<bool>>> _prepared = [];
    private int _fallbackLogged;

    /// <summary>
    /// Whether connections can share a context at all: only with resumption on (.NET caches no context without it)
    /// and only TLS 1.2 needs a restriction (TLS 1.3's suites are all AEAD, so "1.3" shares without one).
    /// </summary>
    private bool Restricts => config.SessionTickets && config.MinVersion != System.Security.Authentication.SslProtocols.Tls13 && LibSsl.Available;

    /// <summary>The options for a connection served with <paramref name="certificate"/> (ALPN is left to Kestrel).</summary>
    public async ValueTask<SslServerAuthenticationOptions> CreateAsync(SslStreamCertificateContext certificate)
    {
        var shared = Restricts && await _prepared.GetValue(certificate, c => new Lazy<Task<bool>>(() => PrepareAsync(c))).Value;
        var options = new SslServerAuthenticationOptions { ServerCertificateContext = certificate };
        TlsPolicy.Apply(options, config, tls12SuitesOnContext: shared);
        return options;
    }

    /// <summary>Restricts the shared context of <paramref name="certificate"/>; false when its connections must fall back to a policy.</summary>
    private async Task<bool> PrepareAsync(SslStreamCertificateContext certificate)
    {
        SslStream? first = null;
        SslStream? second = null;
        try
        {
            first = await HandshakeAsync(certificate);
            if (!LibSsl.TryCall(first, ssl => LibSsl.SslGetSslCtx!(ssl), out var context) || context == 0)
            {
                return Fallback(certificate, "its OpenSSL context cannot be reached");
            }

            lock (Restricted)
            {
                // Set once: another certificate context of the same certificate shares the same SSL_CTX, which
                // clients may already be using.
                if (!Restricted.ContainsKey(context))
                {
                    if (LibSsl.SslCtxSetCipherList!(context, Tls12CipherList) != 1)
                    {
                        return Fallback(certificate, "OpenSSL refused the cipher list");
                    }

                    Restricted.Add(context, first);
                    first = null;
                }
            }

            second = await HandshakeAsync(certificate);
            if (!LibSsl.TryCall(second, ssl => LibSsl.SslGetSslCtx!(ssl), out var again) || again != context)
            {
                // Not cached after all (e.g. DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME set): every connection
                // would get a new, unrestricted context.
                return Fallback(certificate, "connections do not share one OpenSSL context");
            }

            return true;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or InvalidOperationException
            or OperationCanceledException or System.Security.Cryptography.CryptographicException)
        {
            return Fallback(certificate, e.Message);
        }
        finally
        {
            first?.Dispose();
            second?.Dispose();
        }
    }

    /// <summary>A full handshake with ourselves, in memory, the server side with a client connection's options.</summary>
    private async Task<SslStream> HandshakeAsync(SslStreamCertificateContext certificate)
    {
        var (serverEnd, clientEnd) = InMemoryDuplexStream.CreatePair();
        var server = new SslStream(serverEnd);
        await using var client = new SslStream(clientEnd);
        using var timeout = new CancellationTokenSource(HandshakeTimeout);
        try
        {
            var serverOptions = new SslServerAuthenticationOptions { ServerCertificateContext = certificate, ApplicationProtocols = Alpn };
            TlsPolicy.Apply(serverOptions, config, tls12SuitesOnContext: true);
            await Task.WhenAll(
                server.AuthenticateAsServerAsync(serverOptions, timeout.Token),
                client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    // No name: the client side caches nothing. The certificate is the proxy's own, checked as such.
                    TargetHost = string.Empty,
                    ApplicationProtocols = Alpn,
                    RemoteCertificateValidationCallback = (_, presented, _, _) =>
                        presented is not null && presented.GetCertHashString() == certificate.TargetCertificate.Thumbprint,
                }, timeout.Token));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private bool Fallback(SslStreamCertificateContext certificate, string reason)
    {
        if (Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
        {
            Log.NotShared(logger, certificate.TargetCertificate.Subject, reason);
        }

        return false;
    }
}
