using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using McProxy.Config;
using McProxy.Model;
using McProxy.Store;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace McProxy.Admin;

/// <summary>
/// Serves the admin API and grpc.health.v1 on the [grpc] endpoint only: a Kestrel server of its own, HTTP/2 only,
/// on a Unix socket (mode 0600) or on TCP with TLS 1.3, and mTLS against client_ca when that is set. Proxy
/// listeners never hand a connection to it. Owns the <see cref="ProxyAdmin"/> it serves.
/// </summary>
internal sealed partial class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _socketPath;
    private readonly ProxyAdmin _admin;

    private AdminServer(WebApplication app, ProxyAdmin admin, string? socketPath, EndPoint endPoint)
    {
        _app = app;
        _admin = admin;
        _socketPath = socketPath;
        EndPoint = endPoint;
    }

    /// <summary>Where the API is served: a <see cref="UnixDomainSocketEndPoint"/> or the bound <see cref="IPEndPoint"/>.</summary>
    public EndPoint EndPoint { get; }

    public static async Task<AdminServer> StartAsync(GrpcConfig config, ProxyAdmin admin, ProxyStore store, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("McProxy.Admin");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(admin);
        builder.Services.AddSingleton(store);
        builder.Services.AddGrpc();
        builder.Services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("store");

        string? socketPath = null;
        IPEndPoint? tcpEndPoint = null;
        X509Certificate2? serverCertificate = null;
        X509Certificate2Collection? clientCa = null;
        if (config.IsUnixSocket)
        {
            socketPath = config.UnixSocketPath;
            RemoveStaleSocket(socketPath);
            Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(socketPath, o => o.Protocols = HttpProtocols.Http2));
        }
        else
        {
            if (!ListenAddress.TryParse(config.Addr, out var endPoint, out var error))
            {
                throw new InvalidOperationException($"[grpc] addr: {error}");
            }

            tcpEndPoint = endPoint;
            // Checked by the config reader already; loaded through the same rules, so a file changed since fails with its key named.
            var certErrors = new List<RuleError>();
            serverCertificate = FileRules.LoadCertificate(config.TlsCert, "[grpc] tls_cert", config.TlsKey, "[grpc] tls_key", certErrors)?.Leaf
                ?? throw new InvalidOperationException(string.Join("; ", certErrors));
            if (config.ClientCa.Length > 0)
            {
                clientCa = FileRules.LoadCaBundle(config.ClientCa, "[grpc] client_ca", out var caError)
                    ?? throw new InvalidOperationException(caError.ToString());
            }

            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endPoint, o =>
            {
                o.Protocols = HttpProtocols.Http2;
                o.UseHttps(https =>
                {
                    https.ServerCertificate = serverCertificate;
                    https.SslProtocols = SslProtocols.Tls13;
                    if (clientCa is not null)
                    {
                        https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate;
                        https.ClientCertificateValidation = (certificate, _, _) => ClientCertificates.IsIssuedBy(certificate, clientCa);
                    }
                });
            }));
        }

        var app = builder.Build();
        app.MapGrpcService<AdminService>();
        app.MapGrpcHealthChecksService();
        await app.StartAsync(cancellationToken);

        EndPoint bound;
        if (socketPath is not null)
        {
            // Owner only: whoever can connect can change every route. Kestrel has no mode option, so it is set
            // right after the bind; the directory (root-owned /srv/mc-proxy in the deployment) closes that gap.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            bound = new UnixDomainSocketEndPoint(socketPath);
        }
        else
        {
            var url = app.Urls.Select(u => new Uri(u)).First();
            bound = new IPEndPoint(tcpEndPoint!.Address, url.Port);
        }

        Log.Serving(logger, bound.ToString() ?? config.Addr, socketPath is not null ? "unix socket" : clientCa is not null ? "mTLS" : "TLS");
        return new AdminServer(app, admin, socketPath, bound);
    }

    /// <summary>A socket file left by a server that died is removed; one that answers belongs to a live server: an error.</summary>
    private static void RemoveStaleSocket(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new InvalidOperationException($"[grpc] addr: {path} is in use by a running server");
            }
            catch (SocketException)
            {
            }
        }

        File.Delete(path);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _admin.Dispose();
        if (_socketPath is not null)
        {
            try
            {
                File.Delete(_socketPath);
            }
            catch (IOException)
            {
            }
        }
    }
}
