using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using McProxy.Model;
using McProxy.Net;
using McProxy.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>
/// One <see cref="HttpMessageInvoker"/> per backend configuration (plaintext HTTP/1.1, h2c, TLS, TLS verified
/// against a CA), created on first use and reused by every route that shares it: each owns a connection pool,
/// so creating one per request would dial per request. Settings follow YARP's guidance for a forwarder's client:
/// no proxy, no redirects, no decompression, no cookies.
/// </summary>
internal sealed partial class BackendClients(TimeSpan connectTimeout, TimeSpan activityTimeout, FileWatcher files, ILogger logger) : IDisposable
{
    private readonly ConcurrentDictionary<BackendKind, HttpMessageInvoker> _clients = new();
    private readonly ConcurrentDictionary<string, RemoteCertificateValidationCallback> _verifiers = new(StringComparer.Ordinal);

    private HttpTransformer? _transformer;

    /// <summary>How every L7 request and its response are copied: one for all routes, as it holds no route state.</summary>
    public HttpTransformer Transformer => _transformer ??= new ForwardedHeadersTransformer(new ResponseBodyCopier(activityTimeout, logger));

    /// <summary>How requests of <paramref name="entry"/> reach its backends.</summary>
    public Backend For(RouteEntry entry)
    {
        var route = entry.Route;
        var kind = new BackendKind(route.BackendTls, route.BackendTls ? route.BackendCa : "", !route.BackendTls && route.BackendH2c);
        var client = _clients.GetOrAdd(kind, Create);
        var config = new ForwarderRequestConfig
        {
            ActivityTimeout = activityTimeout,
            // h2c has no ALPN to fall back with: HTTP/2 exactly. TLS offers h2 and http/1.1 and takes what the backend picks.
            Version = kind.Tls || kind.H2c ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = kind.H2c ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        return new Backend(entry, kind.Tls ? "https" : "http", client, config);
    }

    /// <summary>
    /// How a TLS backend's certificate of <paramref name="route"/> is judged (its <c>backend_ca</c>, or anything without
    /// one): the same for its requests and its health checks. Null for a plaintext backend.
    /// </summary>
    public RemoteCertificateValidationCallback? CertificatePolicyFor(RouteSettings route)
        => route.BackendTls ? CertificatePolicy(route.BackendCa) : null;

    private RemoteCertificateValidationCallback CertificatePolicy(string ca)
#pragma warning disable CA5359 // backend_tls without backend_ca is the operator's choice, warned about at start.
        => ca.Length > 0 ? _verifiers.GetOrAdd(ca, path => Verifier(new BackendCa(path, files, logger))) : static (_, _, _, _) => true;
#pragma warning restore CA5359

    private HttpMessageInvoker Create(BackendKind kind)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = connectTimeout,
            // Trace context is the client's business; the proxy adds none of its own. Null (not a no-output
            // propagator) also leaves out the per-request diagnostics stage.
            ActivityHeadersPropagator = null,
            ConnectCallback = ConnectAsync,
        };
        if (kind.Tls)
        {
#pragma warning disable CA5359 // backend_tls without backend_ca is the operator's choice, warned about at start.
            handler.SslOptions.RemoteCertificateValidationCallback = CertificatePolicy(kind.Ca);
#pragma warning restore CA5359
        }

        Log.BackendClientCreated(logger, kind.Tls ? (kind.Ca.Length > 0 ? $"tls verified by {kind.Ca}" : "tls unverified") : kind.H2c ? "h2c" : "http/1.1");
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>As SocketsHttpHandler dials (<c>connect_timeout</c> cancels it), but over a <see cref="BackendStream"/>.</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new BackendStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Trusts the configured CA only (not the system store), and checks the name as usual.</summary>
    private static RemoteCertificateValidationCallback Verifier(BackendCa ca) => (_, certificate, _, errors) =>
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca.Roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    };

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private readonly record struct BackendKind(bool Tls, string Ca, bool H2c);

    private static partial class Log
    {
        [LoggerMessage(310, LogLevel.Debug, "Backend client created: {Kind}", EventName = "BackendClientCreated")]
        public static partial void BackendClientCreated(ILogger logger, string kind);
    }
}
