using System.Net;
using McProxy.Model;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// L7 policies in the request pipeline: a match answers 403 and nothing reaches the backend; the policy table is
/// read per request, so a change applies to the next request on a connection that is already open.
/// </summary>
public sealed class L7PolicyTests : IAsyncLifetime
{
    private const string Hostname = "guarded.example.test";

    private readonly TestCertificates _certs = new();
    private string _directory = null!;
    private (string Cert, string Key) _pem;
    private HttpTestBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _pem = PemFiles.Write(_certs.IssueServer(Hostname), _directory, "guarded");
        _backend = await HttpTestBackend.StartAsync(BackendMode.Http1);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _certs.Dispose();
    }

    private Task<TestProxy> StartProxyAsync(string policies) => TestProxy.StartAsync($"""
        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "{Hostname}"
          backend = "{_backend.Address}"
          mode = "l7"
          tls_cert = "{_pem.Cert}"
          tls_key = "{_pem.Key}"
        {policies}
        [metrics]
        addr = "127.0.0.1:0"
        """, _directory);

    private static HttpRequestMessage Get(TestProxy proxy, string path, string? userAgent = null, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, L7TestClient.Url(Hostname, proxy.EndPoint(), path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", apiKey);
        }

        return request;
    }

    [Fact]
    public async Task BlockUserAgent_MatchingRequest_Gets403AndBackendSeesNothing()
    {
        await using var proxy = await StartProxyAsync("""
            [[listeners.routes.l7_policies]]
            type = "block_user_agent"
            value = "GPTBot"
            """);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);

        using var blocked = await client.SendAsync(Get(proxy, "/blocked", userAgent: "Mozilla/5.0 (compatible; gptbot/1.2)"));
        var backendRequestsAfterBlock = _backend.Requests;
        using var allowed = await client.SendAsync(Get(proxy, "/allowed", userAgent: "Mozilla/5.0"));

        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        Assert.Equal(0, backendRequestsAfterBlock);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(1, _backend.Requests);
        var line = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Path") == "/blocked");
        Assert.Equal("403", line.Get("Status"));
        Assert.Contains("block_user_agent=GPTBot", line.Get("Detail"), StringComparison.Ordinal);
        var scrape = await PrometheusScrape.GetAsync(proxy.Server.MetricsEndPoint!);
        Assert.Equal(1, scrape.Value("mcproxy_l7_policy_blocks_total", ("route", Hostname), ("type", "block_user_agent")));
        Assert.Equal(1, scrape.Value("mcproxy_http_requests_total", ("route", Hostname), ("code", "4xx")));
        Assert.Equal(1, scrape.Value("mcproxy_http_requests_total", ("route", Hostname), ("code", "2xx")));
        Assert.Equal(2, scrape.Value("mcproxy_http_request_duration_seconds_count", ("route", Hostname)));
    }

    [Fact]
    public async Task RequireHeader_PresentPassesAbsentGets403()
    {
        await using var proxy = await StartProxyAsync("""
            [[listeners.routes.l7_policies]]
            type = "require_header"
            value = "X-Api-Key"
            """);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);

        using var without = await client.SendAsync(Get(proxy, "/without"));
        using var with = await client.SendAsync(Get(proxy, "/with", apiKey: "secret"));

        Assert.Equal(HttpStatusCode.Forbidden, without.StatusCode);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
        Assert.Equal("/with", HttpTestBackend.ParseEcho(await with.Content.ReadAsStringAsync()).Path);
        Assert.Equal(1, _backend.Requests);
    }

    [Fact]
    public async Task NoPolicies_Request_IsForwarded()
    {
        await using var proxy = await StartProxyAsync("");
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);

        using var response = await client.SendAsync(Get(proxy, "/free", userAgent: "GPTBot"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _backend.Requests);
    }

    [Fact]
    public async Task PolicyAddedAtRuntime_OpenHttp2Connection_NextRequestBlocked()
    {
        await using var proxy = await StartProxyAsync("");
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);
        using var before = await client.SendAsync(Get(proxy, "/before", userAgent: "EvilBot/1.0"));

        var listener = proxy.Server.Routing.Listeners[0];
        listener.Swap(listener.Snapshot.WithPolicies(Hostname, [new L7Policy("block_user_agent", "evilbot")]));
        using var after = await client.SendAsync(Get(proxy, "/after", userAgent: "EvilBot/1.0"));
        listener.Swap(listener.Snapshot.WithPolicies(Hostname, []));
        using var removed = await client.SendAsync(Get(proxy, "/removed", userAgent: "EvilBot/1.0"));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal(2, _backend.Requests);
        // All three on the one HTTP/2 connection opened before the change.
        Assert.Equal(1, listener.TotalConnections);
    }
}
