using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using McProxy.Config;
using McProxy.Model;
using McProxy.Net;
using McProxy.Store;
using McProxy.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace McProxy.Admin;

/// <summary>
/// Serves the admin API and grpc.health.v1 on the [grpc] endpoint only: a Kestrel server of its own, HTTP/2 only,
/// on a Unix socket (mode 0600) or on TCP with TLS 1.3, and mTLS against client_ca when that is set. Proxy
/// listeners never hand a connection to it.
/// </summary>
internal sealed partial class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _socketPath;

    private AdminServer(WebApplication app, string? socketPath, EndPoint endPoint)
    {
        _app = app;
        _socketPath = socketPath;
        EndPoint = endPoint;
    }

    /// <summary>Where the API is served: a <see cref="UnixDomainSocketEndPoint"/> or the bound <see cref="IPEndPoint"/>.</summary>
    public EndPoint EndPoint { get; }

    public static async Task<AdminServer> StartAsync(GrpcConfig config, TlsConfig tls, ProxyAdmin admin, ProxyStore store, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
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
        (string Directory, string SocketPath)? binding = null;
        IPEndPoint? tcpEndPoint = null;
        X509Certificate2? serverCertificate = null;
        X509Certificate2Collection? clientCa = null;
        if (config.IsUnixSocket)
        {
            socketPath = config.UnixSocketPath;
            AdminSocketFile.Check(config.Addr, socketPath);
            var (directory, temporary) = AdminSocketFile.CreatePrivateBinding(config.Addr, socketPath);
            binding = (directory, temporary);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(temporary, o => o.Protocols = HttpProtocols.Http2));
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
                    // TLS 1.3 only, whatever [tls] min_version says: the admin API's clients are ours. The rest of
                    // [tls] (suites, resumption) applies as on L7 routes.
                    https.SslProtocols = SslProtocols.Tls13;
                    https.OnAuthenticate = (_, ssl) => TlsPolicy.Apply(ssl, tls with { MinVersion = SslProtocols.Tls13 });
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
        EndPoint bound;
        try
        {
            await app.StartAsync(cancellationToken);
            if (binding is { } b)
            {
                // Owner only: whoever can connect can change every route. Kestrel has no mode option: the socket
                // was bound in a private directory and appears at the configured path already 0600.
                AdminSocketFile.Publish(config.Addr, b.SocketPath, b.Directory, socketPath!);
            }
        }
        catch
        {
            if (binding is { } b)
            {
                AdminSocketFile.Discard(b.Directory);
            }

            await app.DisposeAsync();
            throw;
        }

        if (socketPath is not null)
        {
            bound = new UnixDomainSocketEndPoint(socketPath);
        }
        else
        {
            var url = app.Urls.Select(u => new Uri(u)).First();
            bound = new IPEndPoint(tcpEndPoint!.Address, url.Port);
        }

        Log.Serving(logger, bound.ToString() ?? config.Addr, socketPath is not null ? "unix socket" : clientCa is not null ? "mTLS" : "TLS");
        return new AdminServer(app, socketPath, bound);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
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
