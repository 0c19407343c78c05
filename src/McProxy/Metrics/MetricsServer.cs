using System.Net;
using McProxy.Net;
using Microsoft.AspNetCore.Connections;
using Prometheus;

namespace McProxy.Metrics;

/// <summary>
/// Serves <c>GET /metrics</c> in the Prometheus text format on <c>[metrics] addr</c>: a Kestrel server of its own,
/// never a proxy listener, so a scrape can neither be routed nor reach a backend.
/// </summary>
internal sealed class MetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsServer(WebApplication app) => _app = app;

    /// <summary>The bound address (the configured one, with the real port when it was 0).</summary>
    public IPEndPoint? EndPoint { get; private set; }

    public static async Task<MetricsServer> StartAsync(string addr, CollectorRegistry registry, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (!ListenAddress.TryParse(addr, out var endPoint, out var error))
        {
            throw new InvalidOperationException($"[metrics] addr: {error}");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endPoint));
        var app = builder.Build();
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            await app.DisposeAsync();
            // Worded as a proxy listener's refusal: the operator's fix is the same (another process has the port).
            throw new InvalidOperationException($"cannot listen on [metrics] addr {addr}: address already in use", e);
        }

        var server = new MetricsServer(app);
        var bound = app.Urls.Select(u => new Uri(u)).FirstOrDefault();
        server.EndPoint = bound is null ? endPoint : new IPEndPoint(endPoint.Address, bound.Port);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
