using System.Net;
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

    public static TheoryData<BackendMode, string, HttpStatusCode, string> Cases => new()
    {
        { BackendMode.Http1, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1" },
        { BackendMode.Http1, "/unauthorized", HttpStatusCode.Unauthorized, "1.1" },
        { BackendMode.Http1, "/limited", HttpStatusCode.RequestEntityTooLarge, "1.1+expect" },
        { BackendMode.Http1, "/unauthorized", HttpStatusCode.Unauthorized, "1.1+expect" },
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
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{Hostname}"
              backend = "{backend.Address}"
              mode = "l7"
              tls_cert = "{_pem.Cert}"
              tls_key = "{_pem.Key}"
              {(mode == BackendMode.H2c ? "backend_h2c = true" : "")}
            """, _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(clientVersion.Split('+')[0]));
        // curl's way with a large upload: wait for the server's 100 Continue (or its final answer) before sending it.
        client.DefaultRequestHeaders.ExpectContinue = clientVersion.EndsWith("+expect", StringComparison.Ordinal);
        var body = HttpTestBackend.Pattern(UploadBytes);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Repeats; i++)
        {
            using var content = new ByteArrayContent(body);
            using var response = await client.PostAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), path), content);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(expected, s));

        // The proxy goes on serving that backend.
        using var after = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/after"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

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
}
