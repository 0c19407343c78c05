using System.Net;
using McProxy.Config;
using McProxy.Logging;
using McProxy.Net;
using McProxy.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http.Features;

namespace McProxy.Tests.Functional;

/// <summary>
/// SPEC §7 "backend answers before the request body is sent": a backend that refuses a 2 MB upload from its headers
/// (413 from Kestrel's own body-size limit, which then closes the connection; 401 without reading the body) answers
/// through an L7 route with that status, not 502, over HTTP/1.1 and HTTP/2 backends, time after time.
/// </summary>
public sealed class L7EarlyResponseTests : IAsyncLifetime
{
    private const string Hostname = "upload.example.test";
    private const int UploadBytes = 2 * 1024 * 1024;
    private const int Repeats = 10;

    private readonly TestCertificates _certs = new();
    private string _directory = null!;
    private (string Cert, string Key) _pem;

    public Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _pem = PemFiles.Write(_certs.IssueServer(Hostname), _directory, "edge");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _certs.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    // An HTTP/1.1 client without Expect to an HTTP/2 backend reads the answer only once it has sent its whole body:
    // the proxy drains the rest after the answer rather than closing under it (ClientBodyStream).
    public static TheoryData<BackendMode, string, HttpStatusCode, string> Cases => new()
    {
        { BackendMode.Http1, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1" },
        { BackendMode.Http1, "/unauthorized", HttpStatusCode.Unauthorized, "1.1" },
        { BackendMode.Http1, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1+expect" },
        { BackendMode.Http1, "/unauthorized", HttpStatusCode.Unauthorized, "1.1+expect" },
        { BackendMode.H2c, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1" },
        { BackendMode.H2c, "/unauthorized", HttpStatusCode.Unauthorized, "1.1" },
        { BackendMode.H2c, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1+expect" },
        { BackendMode.H2c, "/unauthorized", HttpStatusCode.Unauthorized, "1.1+expect" },
        { BackendMode.Http1, "/limited", HttpStatusCode.RequestEntityTooLarge, "2.0" },
        { BackendMode.Http1, "/unauthorized", HttpStatusCode.Unauthorized, "2.0" },
        { BackendMode.H2c, "/limited", HttpStatusCode.RequestEntityTooLarge, "2.0" },
        { BackendMode.H2c, "/unauthorized", HttpStatusCode.Unauthorized, "2.0" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BackendRefusesUploadEarly_ClientGetsThatStatus_EveryTime(BackendMode mode, string path, HttpStatusCode expected, string clientVersion)
    {
        await using var backend = await StartBackendAsync(mode);
        await using var proxy = await StartProxyAsync(backend);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(clientVersion.Split('+')[0]));
        // curl's way with a large upload: wait for the server's 100 Continue (or its final answer) before sending it.
        client.DefaultRequestHeaders.ExpectContinue = clientVersion.EndsWith("+expect", StringComparison.Ordinal);
        var body = HttpTestBackend.Pattern(UploadBytes);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Repeats; i++)
        {
            // Half the uploads go on a pooled backend connection (SocketsHttpHandler reads ahead on those), half on a new one.
            if (i % 2 == 0)
            {
                using var warm = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/warm"));
                Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
            }

            using var content = new ByteArrayContent(body);
            using var response = await client.PostAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), path), content);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(expected, s));

        // The proxy goes on serving that backend.
        using var after = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/after"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    /// <summary>
    /// The answer is passed on while the upload is still under way, as HAProxy does: the client's body stops after its
    /// first 64 KiB until the answer has arrived, so a proxy that held the answer back until the body ended would
    /// never answer. HTTP/1.1 end to end with <c>Expect: 100-continue</c>: no byte of the body is sent at all. (Not
    /// over HTTP/2: HttpClient, the test's client, holds an HTTP/2 response back until its own request body is sent.)
    /// </summary>
    [Theory]
    [InlineData(BackendMode.Http1, "/unauthorized", HttpStatusCode.Unauthorized, "1.1+expect")]
    [InlineData(BackendMode.Http1, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1+expect")]
    public async Task BackendRefusesUploadEarly_AnswerArrivesBeforeTheUploadEnds(BackendMode mode, string path, HttpStatusCode expected, string clientVersion)
    {
        await using var backend = await StartBackendAsync(mode);
        await using var proxy = await StartProxyAsync(backend);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(clientVersion.Split('+')[0]));
        client.DefaultRequestHeaders.ExpectContinue = clientVersion.EndsWith("+expect", StringComparison.Ordinal);

        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var content = new HeldUploadContent(UploadBytes, answered.Task);
        using var request = new HttpRequestMessage(HttpMethod.Post, L7TestClient.Url(Hostname, proxy.EndPoint(), path)) { Content = content };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var sentWhenAnswered = content.Sent;
        answered.SetResult();

        Assert.Equal(expected, response.StatusCode);
        Assert.True(sentWhenAnswered < UploadBytes, $"the answer came after the whole body ({sentWhenAnswered} bytes)");
    }

    /// <summary>
    /// An early answer is the backend answering normally: the request body the proxy could not deliver after it is
    /// not a forwarding failure, so the production log (behind the guard of SPEC §6) has no line at Warning or above
    /// for it; YARP's ForwardingError (event 48), which it writes at Warning, is there at Debug. Over an HTTP/2
    /// backend YARP reports every one of these. Nor does Kestrel fail to drain the rest of an HTTP/1.1 body (its
    /// event 67 at Error, when YARP's read of it had been cancelled).
    /// </summary>
    [Theory]
    [InlineData(BackendMode.H2c, "/limited", HttpStatusCode.RequestEntityTooLarge, "2.0")]
    [InlineData(BackendMode.H2c, "/unauthorized", HttpStatusCode.Unauthorized, "2.0")]
    [InlineData(BackendMode.H2c, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1")]
    [InlineData(BackendMode.H2c, "/unauthorized", HttpStatusCode.Unauthorized, "1.1")]
    [InlineData(BackendMode.Http1, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1")]
    [InlineData(BackendMode.Http1, "/limited", HttpStatusCode.RequestEntityTooLarge, "2.0")]
    public async Task BackendRefusesUploadEarly_NoWarningIsLogged(BackendMode mode, string path, HttpStatusCode expected, string clientVersion)
    {
        const int Uploads = 4;
        await using var backend = await StartBackendAsync(mode);
        using var log = new TestLog();
        using var guarded = new GuardedLoggerProvider(log, _ => LogLevel.Debug);
        using var factory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(guarded));
        var config = ConfigLoader.Parse($"[database]\npath = \"mc-proxy.db\"\n{ProxyToml(backend)}", "test.toml", _directory);
        await using var server = await ProxyServer.StartAsync(config, factory, seed: false, FileWatcher.DefaultInterval, CancellationToken.None);
        var endPoint = server.Routing.Listeners[0].LocalEndPoint!;
        using var client = L7TestClient.Create(endPoint, _certs, Version.Parse(clientVersion));
        var body = HttpTestBackend.Pattern(UploadBytes);

        for (var i = 0; i < Uploads; i++)
        {
            using var content = new ByteArrayContent(body);
            using var response = await client.PostAsync(L7TestClient.Url(Hostname, endPoint, path), content);
            Assert.Equal(expected, response.StatusCode);
        }

        // The access line of a request is written once YARP has reported on it.
        await log.WaitForAsync(_ => log.Access.Count(e => e.Get("Status") == ((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture)) >= Uploads);
        var warnings = log.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => $"{e.Category}/{e.EventId}: {e.Message}").ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
        if (mode == BackendMode.H2c)
        {
            Assert.Contains(log.Entries, e => e.EventId == 48 && e.Level == LogLevel.Debug && e.Category.StartsWith("Yarp", StringComparison.Ordinal));
        }
    }

    private Task<TestProxy> StartProxyAsync(HttpTestBackend backend) => TestProxy.StartAsync(ProxyToml(backend), _directory);

    private string ProxyToml(HttpTestBackend backend) => $"""
        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "{Hostname}"
          backend = "{backend.Address}"
          mode = "l7"
          tls_cert = "{_pem.Cert}"
          tls_key = "{_pem.Key}"
          {(backend.Mode == BackendMode.H2c ? "backend_h2c = true" : "")}
        """;

    private static Task<HttpTestBackend> StartBackendAsync(BackendMode mode) => HttpTestBackend.StartAsync(mode, configure: app =>
    {
        // Kestrel's own limit: the first read of a body whose Content-Length is over it fails, and Kestrel answers
        // 413 and (HTTP/1.1) closes the connection while the upload is still arriving.
        app.Map("/limited", async context =>
        {
            context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize = 1024;
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        });
        // Refused from the headers alone; the body is never read.
        app.Map("/unauthorized", context =>
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        });
    });

    /// <summary>An upload that sends its first 64 KiB, then waits until the test has the answer (30 s at most), then the rest.</summary>
    private sealed class HeldUploadContent(int length, Task answered) : HttpContent
    {
        private const int FirstPart = 64 * 1024;
        private int _sent;

        public int Sent => Volatile.Read(ref _sent);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var body = HttpTestBackend.Pattern(length);
            await stream.WriteAsync(body.AsMemory(0, FirstPart));
            await stream.FlushAsync();
            Volatile.Write(ref _sent, FirstPart);
            await answered.WaitAsync(TimeSpan.FromSeconds(30));
            await stream.WriteAsync(body.AsMemory(FirstPart));
            Volatile.Write(ref _sent, length);
        }

        protected override bool TryComputeLength(out long computed)
        {
            computed = length;
            return true;
        }
    }
}
