using System.Net;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// L7 routes end to end: a real HTTPS client through the proxy, which terminates TLS with the route's certificate
/// and forwards to a real Kestrel backend over plaintext HTTP/1.1, h2c or TLS.
/// </summary>
public sealed class L7RoutingTests : IAsyncLifetime
{
    private const string Hostname = "web.example.test";

    private readonly TestCertificates _certs = new();
    private string _directory = null!;
    private (string Cert, string Key) _pem;

    public Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _pem = PemFiles.Write(_certs.IssueServer(Hostname), _directory, "web");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _certs.Dispose();
        return Task.CompletedTask;
    }

    private string Config(HttpTestBackend backend, string extra = "")
    {
        var options = backend.Mode switch
        {
            BackendMode.H2c => "backend_h2c = true",
            BackendMode.Tls => "backend_tls = true",
            _ => "",
        };
        return $"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{Hostname}"
              backend = "{backend.Address}"
              mode = "l7"
              tls_cert = "{_pem.Cert}"
              tls_key = "{_pem.Key}"
              {options}
            {extra}
            """;
    }

    private Task<HttpTestBackend> StartBackendAsync(BackendMode mode)
        => HttpTestBackend.StartAsync(mode, mode == BackendMode.Tls ? _certs.IssueServer("localhost", Hostname) : null);

    [Theory]
    [InlineData(BackendMode.Http1, "1.1")]
    [InlineData(BackendMode.Http1, "2.0")]
    [InlineData(BackendMode.H2c, "1.1")]
    [InlineData(BackendMode.H2c, "2.0")]
    [InlineData(BackendMode.Tls, "1.1")]
    [InlineData(BackendMode.Tls, "2.0")]
    public async Task Get_ThroughL7Route_ReachesBackendWithForwardingHeadersFromRealClient(BackendMode mode, string clientVersion)
    {
        await using var backend = await StartBackendAsync(mode);
        await using var proxy = await TestProxy.StartAsync(Config(backend), _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(clientVersion));

        using var request = new HttpRequestMessage(HttpMethod.Get, L7TestClient.Url(Hostname, proxy.EndPoint(), "/hello?x=1"))
        {
            Version = client.DefaultRequestVersion,
            VersionPolicy = client.DefaultVersionPolicy,
        };
        // A client lying about where it comes from: none of this may reach the backend.
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.7");
        request.Headers.TryAddWithoutValidation("X-Real-IP", "203.0.113.8");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "gopher");
        request.Headers.TryAddWithoutValidation("X-Test", "kept");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(clientVersion), response.Version);
        var echo = HttpTestBackend.ParseEcho(await response.Content.ReadAsStringAsync());
        Assert.Equal("GET", echo.Method);
        Assert.Equal("/hello?x=1", echo.Path);
        Assert.Equal(mode == BackendMode.Http1 ? "HTTP/1.1" : "HTTP/2", echo.Protocol);
        Assert.Equal("127.0.0.1", echo.Header("X-Forwarded-For"));
        Assert.Equal("127.0.0.1", echo.Header("X-Real-IP"));
        Assert.Equal("https", echo.Header("X-Forwarded-Proto"));
        Assert.Equal("kept", echo.Header("X-Test"));
        Assert.Equal($"{Hostname}:{proxy.EndPoint().Port}", echo.Header("Host"));

        var line = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Status") is not null);
        Assert.Equal(Hostname, line.Get("Route"));
        Assert.Equal("/hello", line.Get("Path"));
        Assert.Equal("200", line.Get("Status"));
    }
}
