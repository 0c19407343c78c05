using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>How an <see cref="HttpTestBackend"/> listens: the three backend protocols an L7 route can speak.</summary>
public enum BackendMode
{
    /// <summary>Plaintext HTTP/1.1 only.</summary>
    Http1,

    /// <summary>Plaintext HTTP/2 only (prior knowledge, as gRPC without TLS).</summary>
    H2c,

    /// <summary>TLS with ALPN h2 and http/1.1.</summary>
    Tls,
}

/// <summary>
/// A real Kestrel backend on 127.0.0.1:0 for L7 tests. Endpoints: <c>/ws</c> echoes WebSocket messages;
/// <c>/upload</c> reads the request body and answers its length and SHA-256; <c>/download?bytes=N</c> streams N
/// bytes of a fixed pattern; anything else answers JSON with the method, path, protocol and headers it received.
/// <c>StartAsync</c> can add services (gRPC) and endpoints before the fallback, and listen on a given port (a
/// backend started again where it was).
/// </summary>
public sealed class HttpTestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private HttpTestBackend(WebApplication app, BackendMode mode)
    {
        _app = app;
        Mode = mode;
    }

    public BackendMode Mode { get; }

    public IPEndPoint EndPoint { get; private set; } = null!;

    public string Address => $"127.0.0.1:{EndPoint.Port}";

    /// <summary>Requests that reached this backend.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<HttpTestBackend> StartAsync(
        BackendMode mode,
        X509Certificate2? certificate = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? configure = null,
        int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Protocols = mode switch
                {
                    BackendMode.Http1 => HttpProtocols.Http1,
                    BackendMode.H2c => HttpProtocols.Http2,
                    _ => HttpProtocols.Http1AndHttp2,
                };
                if (mode == BackendMode.Tls)
                {
                    listen.UseHttps(certificate ?? throw new ArgumentNullException(nameof(certificate), "a TLS backend needs a certificate"));
                }
            });
        });
        services?.Invoke(builder.Services);
        var app = builder.Build();
        var backend = new HttpTestBackend(app, mode);
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref backend._requests);
            return next(context);
        });
        app.UseWebSockets();
        configure?.Invoke(app);
        app.Map("/ws", EchoWebSocketAsync);
        app.Map("/upload", UploadAsync);
        app.Map("/download", DownloadAsync);
        app.MapFallback(EchoAsync);
        await app.StartAsync();
        var bound = new Uri(app.Urls.First()).Port;
        backend.EndPoint = new IPEndPoint(IPAddress.Loopback, bound);
        return backend;
    }

    private static Task EchoAsync(HttpContext context)
    {
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        return context.Response.WriteAsJsonAsync(new EchoReply(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Protocol,
            context.Request.Scheme, headers));
    }

    private static async Task UploadAsync(HttpContext context)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            total += read;
        }

        await context.Response.WriteAsJsonAsync(new UploadReply(total, Convert.ToHexString(sha.GetHashAndReset())));
    }

    private static async Task DownloadAsync(HttpContext context)
    {
        var remaining = long.Parse(context.Request.Query["bytes"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/octet-stream";
        var chunk = Pattern(64 * 1024);
        while (remaining > 0)
        {
            var count = (int)Math.Min(chunk.Length, remaining);
            await context.Response.Body.WriteAsync(chunk.AsMemory(0, count), context.RequestAborted);
            remaining -= count;
        }
    }

    private static async Task EchoWebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, context.RequestAborted);
        }
    }

    /// <summary>The bytes /download sends: a repeating 0..250 pattern, so a shifted or dropped chunk shows.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % 251);
        }

        return bytes;
    }

    public static EchoReply ParseEcho(string json) => JsonSerializer.Deserialize<EchoReply>(json, JsonSerializerOptions.Web)!;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record EchoReply(string Method, string Path, string Protocol, string Scheme, Dictionary<string, string> Headers)
    {
        public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
    }

    public sealed record UploadReply(long Bytes, string Sha256);
}
