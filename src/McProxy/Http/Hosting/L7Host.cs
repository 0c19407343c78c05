using System.Text;
using McProxy.Config;
using McProxy.Http.Forwarding;
using McProxy.Http.Policies;
using McProxy.Http.Tls;
using McProxy.Metrics;
using McProxy.Net;
using McProxy.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Hosting;

/// <summary>
/// The one Kestrel server that serves every L7 route of every listener. It binds no socket: its transport is the
/// <see cref="L7ConnectionQueue"/> the proxy listeners feed after their route lookup. Kestrel terminates TLS with
/// the route's certificate (per [tls]: <see cref="TlsPolicy"/>, on contexts shared per certificate: <see cref="SharedTlsContexts"/>; ALPN h2 and http/1.1) and runs HTTP/1.1 and HTTP/2; each request goes through
/// the request log, the route's policies and YARP's forwarder. It runs whether or not an L7 route exists yet,
/// since the admin API can add one at any time.
/// </summary>
internal sealed class L7Host : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly BackendClients _clients;

    private L7Host(WebApplication app, BackendClients clients, CertificateStore certificates)
    {
        _app = app;
        _clients = clients;
        Certificates = certificates;
    }

    /// <summary>The routes' certificates; <see cref="CertificateStore.Watch"/> loads a route's before its first handshake.</summary>
    public CertificateStore Certificates { get; }

    /// <summary>The backend clients, whose certificate policy the routes' HTTP health checks share.</summary>
    public BackendClients Backends => _clients;

    /// <summary>Starts the server; <paramref name="files"/> checks the certificates and backend CAs it loads.</summary>
    public static async Task<L7Host> StartAsync(
        ProxySettings settings, TlsConfig tls, ProxyMetrics metrics, L7ConnectionQueue connections, FileWatcher files, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("McProxy.L7");
        var certificates = new CertificateStore(files, logger);
        var tlsContexts = new SharedTlsContexts(tls, logger);
        var clients = new BackendClients(settings.ConnectTimeout, settings.IdleTimeout, files, logger);

        var builder = WebApplication.CreateSlimBuilder();
        // Configured here only: an appsettings.json in the working directory or ASPNETCORE_* variables must not
        // add endpoints or change limits of the server that terminates every L7 route.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IConnectionListenerFactory>(connections);
        builder.Services.AddHttpForwarder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A proxy passes bodies through as they stream; the backend sets its own limits. idle_timeout ends idle
            // connections (keep-alive) and stalled requests (YARP's activity timeout), not minimum data rates, which
            // would cut long-lived gRPC streams.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.KeepAliveTimeout = settings.IdleTimeout;
            kestrel.Listen(L7EndPoint.Instance, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    HandshakeTimeout = settings.HelloTimeout,
                    // ALPN is left to Kestrel, which offers h2 then http/1.1 from the listen options' protocols.
                    OnConnection = context =>
                    {
                        var route = context.Connection.Features.GetRequiredFeature<IL7RouteFeature>().Route.Route;
                        return tlsContexts.CreateAsync(certificates.Get(route.TlsCert, route.TlsKey));
                    },
                });
                // Runs after the handshake: what the connection's access line reports (or tls_failed without it).
                listen.Use(next => connection =>
                {
                    if (connection.Features.Get<ISslStreamFeature>()?.SslStream is { } ssl)
                    {
                        if (!TlsPolicy.Offers(ssl))
                        {
                            connection.Abort();
                            return Task.CompletedTask;
                        }

                        // Before the first request: the TLS record buffers are then held only while records move.
                        TlsIdleBuffers.TryRelease(ssl);
                    }

                    if (connection.Features.Get<IL7RouteFeature>() is L7RouteFeature route)
                    {
                        var tls = connection.Features.Get<ITlsHandshakeFeature>();
                        var alpn = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol;
                        var alpnText = alpn is { IsEmpty: false } protocol ? Encoding.ASCII.GetString(protocol.Span) : "-";
                        route.HandshakeCompleted($"{tls?.Protocol} {alpnText}");
                    }

                    return next(connection);
                });
            });
        });

        var app = builder.Build();
        var accessLogger = loggerFactory.CreateLogger("McProxy.Access");
        app.Use(next => new L7RequestLog(next, metrics, accessLogger).InvokeAsync);
        app.Use(next => new L7PolicyMiddleware(next, metrics, logger).InvokeAsync);
        app.Run(new L7Forwarder(app.Services.GetRequiredService<IHttpForwarder>(), clients).InvokeAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            clients.Dispose();
            throw;
        }

        return new L7Host(app, clients, certificates);
    }

    /// <summary>
    /// Stops taking connections and asks open ones to finish (HTTP/1.1 closes after the current response, HTTP/2
    /// sends GOAWAY); when <paramref name="cancellationToken"/> fires, Kestrel aborts the rest.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _clients.Dispose();
    }
}
