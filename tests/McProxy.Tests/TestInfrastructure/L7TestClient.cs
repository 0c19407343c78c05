using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// HTTP clients for L7 routes: the URL names the route's hostname (so it is the SNI and the Host), every
/// connection is dialled to the proxy listener, and the server certificate must chain to the test CA.
/// </summary>
public static class L7TestClient
{
    /// <summary>A client speaking exactly <paramref name="version"/> (HTTP/2 over TLS is chosen by ALPN).</summary>
    public static HttpClient Create(IPEndPoint proxy, TestCertificates certs, Version version, Action<X509Certificate?>? onCertificate = null)
        => new(CreateHandler(proxy, certs, onCertificate))
        {
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>
    /// A handler dialling the proxy listener; with <paramref name="preamble"/>, each connection first sends those bytes
    /// (a PROXY header, as an upstream proxy would).
    /// </summary>
    public static SocketsHttpHandler CreateHandler(IPEndPoint proxy, TestCertificates certs, Action<X509Certificate?>? onCertificate = null, byte[]? preamble = null)
        => new()
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(proxy, cancellationToken);
                    if (preamble is not null)
                    {
                        await socket.SendAsync(preamble, SocketFlags.None, cancellationToken);
                    }

                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (sender, certificate, _, _) =>
                {
                    onCertificate?.Invoke(certificate);
                    return certs.Validate(certificate, ((SslStream)sender).TargetHostName);
                },
            },
        };

    /// <summary>https://HOST:PORT/PATH for a route hostname behind the proxy listener at <paramref name="proxy"/>.</summary>
    public static Uri Url(string hostname, IPEndPoint proxy, string path = "/") => new($"https://{hostname}:{proxy.Port}{path}");
}
