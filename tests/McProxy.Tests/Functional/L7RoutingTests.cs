using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
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

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task LargeBodies_BothDirections_ArriveWhole(string clientVersion)
    {
        const int Size = 32 * 1024 * 1024;
        await using var backend = await StartBackendAsync(BackendMode.Http1);
        await using var proxy = await TestProxy.StartAsync(Config(backend), _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(clientVersion));
        var body = RandomNumberGenerator.GetBytes(Size);

        using var upload = await client.PostAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/upload"), new ByteArrayContent(body));
        var uploaded = await upload.Content.ReadFromJsonAsync<HttpTestBackend.UploadReply>();
        using var download = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), $"/download?bytes={Size}"), HttpCompletionOption.ResponseHeadersRead);
        var downloaded = await download.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(Size, uploaded!.Bytes);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(body)), uploaded.Sha256);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(Size, downloaded.Length);
        Assert.True(downloaded.AsSpan().SequenceEqual(Pattern(Size)), "downloaded bytes differ from what the backend sent");
    }

    private static byte[] Pattern(int size)
    {
        var chunk = HttpTestBackend.Pattern(64 * 1024);
        var bytes = new byte[size];
        for (var offset = 0; offset < size; offset += chunk.Length)
        {
            chunk.AsSpan(0, Math.Min(chunk.Length, size - offset)).CopyTo(bytes.AsSpan(offset));
        }

        return bytes;
    }

    [Fact]
    public async Task WebSocket_ThroughL7Route_EchoesMessagesBothWays()
    {
        await using var backend = await StartBackendAsync(BackendMode.Http1);
        await using var proxy = await TestProxy.StartAsync(Config(backend), _directory);
        using var invoker = new HttpMessageInvoker(L7TestClient.CreateHandler(proxy.EndPoint(), _certs));
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(new Uri($"wss://{Hostname}:{proxy.EndPoint().Port}/ws"), invoker, CancellationToken.None);
        var buffer = new byte[1024];
        foreach (var text in new[] { "hello", "through", "the proxy" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);

        // After the close handshake the client closes the connection, as a browser does: a normal end of the
        // upgraded request, not a cancelled upgrade.
        socket.Dispose();
        invoker.Dispose();
        var line = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Status") == "101");
        Assert.Equal("ok", line.Get("Outcome"));
        Assert.DoesNotContain("Canceled", line.Get("Detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackendDown_Request_Answers502AndServerGoesOn()
    {
        var closedPort = ClosedPort();
        var toml = $"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{Hostname}"
              backend = "127.0.0.1:{closedPort}"
              mode = "l7"
              tls_cert = "{_pem.Cert}"
              tls_key = "{_pem.Key}"
            """;
        await using var proxy = await TestProxy.StartAsync(toml, _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);

        using var first = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/a"));
        using var second = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/b"));

        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        var line = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Path") == "/b");
        Assert.Equal("502", line.Get("Status"));
        Assert.Contains("forwarder", line.Get("Detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackendSilent_PastIdleTimeout_Answers504()
    {
        await using var backend = await HttpTestBackend.StartAsync(BackendMode.Http1, configure: app =>
            app.Map("/silent", async context => await Task.Delay(Timeout.Infinite, context.RequestAborted)));
        await using var proxy = await TestProxy.StartAsync(Config(backend, "[proxy]\nidle_timeout = \"1s\""), _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version11);

        using var response = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/silent"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
    }

    /// <summary>
    /// A download that lasts several idle_timeouts while its bytes keep coming (a stream, a slow large file) is
    /// not cut: the response copy's activity timer restarts with every chunk, over HTTP/1.1 and h2c backends and
    /// HTTP/1.1 and HTTP/2 clients, and the whole body arrives.
    /// </summary>
    [Theory]
    [InlineData(BackendMode.Http1, "1.1")]
    [InlineData(BackendMode.Http1, "2.0")]
    [InlineData(BackendMode.H2c, "1.1")]
    [InlineData(BackendMode.H2c, "2.0")]
    public async Task StreamingDownload_LongerThanIdleTimeout_ArrivesWhole(BackendMode mode, string clientVersion)
    {
        const int Pieces = 12;
        await using var backend = await HttpTestBackend.StartAsync(mode, configure: app => app.Map("/drip", async context =>
        {
            for (var i = 0; i < Pieces; i++)
            {
                await context.Response.WriteAsync($"piece {i}\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(250, context.RequestAborted);
            }
        }));
        await using var proxy = await TestProxy.StartAsync(Config(backend, "[proxy]\nidle_timeout = \"1s\""), _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(clientVersion));

        using var response = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/drip"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(string.Concat(Enumerable.Range(0, Pieces).Select(i => $"piece {i}\n")), body);
        var line = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Path") == "/drip");
        Assert.Equal("ok", line.Get("Outcome"));
    }

    /// <summary>
    /// A backend that breaks its connection in the middle of a body: the client does not get a complete-looking
    /// response (HTTP/1.1: the connection is aborted; HTTP/2: the stream is reset), and the access line blames the
    /// backend.
    /// </summary>
    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task BackendBreaksMidBody_ClientSeesTruncation_LoggedBackendError(string clientVersion)
    {
        await using var backend = await HttpTestBackend.StartAsync(BackendMode.Http1, configure: app => app.Map("/cut", async context =>
        {
            context.Response.ContentLength = 1024 * 1024;
            await context.Response.Body.WriteAsync(HttpTestBackend.Pattern(64 * 1024), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            context.Abort();
        }));
        await using var proxy = await TestProxy.StartAsync(Config(backend), _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(clientVersion));

        using var response = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/cut"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync());

        var line = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Path") == "/cut");
        Assert.Equal("backend_error", line.Get("Outcome"));
        Assert.Contains("ResponseBodyDestination", line.Get("Detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateReplacedOnDisk_FirstHandshakeAfterTheWatchersTick_PresentsNewOneWithoutRestart()
    {
        await using var backend = await StartBackendAsync(BackendMode.Http1);
        // The watcher's timer never fires during the test: the ticks are the test's own.
        await using var proxy = await TestProxy.StartAsync(Config(backend), _directory, TimeSpan.FromHours(1));
        var original = X509CertificateLoader.LoadCertificateFromFile(_pem.Cert);
        using var renewed = _certs.IssueServer(Hostname);

        var before = await HandshakeCertificateAsync(proxy);
        // The open connection of an HTTP/2 client must survive the renewal.
        using var longLived = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);
        using (await longLived.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/before")))
        {
        }

        var written = PemFiles.Write(renewed, _directory, "web");
        // File times tick coarsely (a few ms); a real renewal comes much later, which this stands for.
        File.SetLastWriteTimeUtc(written.Cert, DateTime.UtcNow.AddSeconds(5));
        // A handshake reads the certificate from memory, never from disk: until the watcher's tick, the old one.
        var beforeTick = await HandshakeCertificateAsync(proxy);
        proxy.Server.Files.CheckNow();
        var after = await HandshakeCertificateAsync(proxy);
        using var stillOpen = await longLived.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/after"));

        Assert.Equal(original.Thumbprint, before);
        Assert.Equal(original.Thumbprint, beforeTick);
        Assert.Equal(renewed.Thumbprint, after);
        Assert.Equal(HttpStatusCode.OK, stillOpen.StatusCode);
        Assert.Contains(proxy.Log.Entries, e => e.Message.Contains("reloaded: CN=", StringComparison.Ordinal));
        // Four connections: three handshakes and the long-lived one, which did not have to reconnect.
        Assert.Equal(4, proxy.Server.Routing.Listeners[0].TotalConnections);
    }

    private async Task<string?> HandshakeCertificateAsync(TestProxy proxy)
    {
        string? thumbprint = null;
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version11, certificate =>
            thumbprint = certificate is null ? null : new X509Certificate2(certificate).Thumbprint);
        using var response = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return thumbprint;
    }

    [Fact]
    public async Task L4AndL7Routes_OnOneListener_EachServedInItsMode()
    {
        await using var l4Backend = new TlsBackend("passthrough", _certs.IssueServer("raw.example.test"));
        await using var backend = await StartBackendAsync(BackendMode.Http1);
        var extra = $"""
              [[listeners.routes]]
              hostname = "raw.example.test"
              backend = "{l4Backend.Address}"
            """;
        await using var proxy = await TestProxy.StartAsync(Config(backend, extra), _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);

        await using var raw = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "raw.example.test", _certs);
        var greeting = await raw.ReadUntilAsync("\n");
        using var response = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/mixed"));

        Assert.Equal("hello from passthrough sni=raw.example.test\n", greeting);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/mixed", HttpTestBackend.ParseEcho(await response.Content.ReadAsStringAsync()).Path);
        Assert.Equal(1, backend.Requests);
    }

    [Theory]
    [InlineData("--http1.1", "HTTP/1.1")]
    [InlineData("--http2", "HTTP/2")]
    public async Task Curl_WithCaCert_GetsBackendAnswer(string versionFlag, string expectedProtocol)
    {
        await using var backend = await StartBackendAsync(BackendMode.Http1);
        await using var proxy = await TestProxy.StartAsync(Config(backend), _directory);
        var ca = Path.Combine(_directory, "ca.pem");
        await File.WriteAllTextAsync(ca, _certs.Ca.ExportCertificatePem());
        var port = proxy.EndPoint().Port;

        var (exitCode, output, error) = await RunAsync("curl", "--silent", "--show-error", "--fail", versionFlag, "--cacert", ca,
            "--resolve", $"{Hostname}:{port}:127.0.0.1", "--write-out", "\n%{http_version}",
            "-H", "X-Forwarded-For: 198.51.100.1", $"https://{Hostname}:{port}/from-curl");

        Assert.True(exitCode == 0, $"curl exited {exitCode}: {error}");
        var lines = output.TrimEnd().Split('\n');
        var echo = HttpTestBackend.ParseEcho(string.Join('\n', lines[..^1]));
        Assert.Equal(expectedProtocol == "HTTP/2" ? "2" : "1.1", lines[^1]);
        Assert.Equal("/from-curl", echo.Path);
        Assert.Equal("127.0.0.1", echo.Header("X-Forwarded-For"));
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task BehindUpstreamProxy_ProxyHeaderSource_IsTheForwardedClient()
    {
        await using var backend = await StartBackendAsync(BackendMode.Http1);
        var toml = Config(backend).Replace("addr = \"127.0.0.1:0\"", "addr = \"127.0.0.1:0\"\nproxy_protocol = true\ntrusted_proxies = [\"127.0.0.1/32\"]", StringComparison.Ordinal);
        await using var proxy = await TestProxy.StartAsync(toml, _directory);
        var header = Encoding.ASCII.GetBytes($"PROXY TCP4 203.0.113.9 127.0.0.1 40000 {proxy.EndPoint().Port}\r\n");
        using var client = new HttpClient(L7TestClient.CreateHandler(proxy.EndPoint(), _certs, preamble: header));
        using var request = new HttpRequestMessage(HttpMethod.Get, L7TestClient.Url(Hostname, proxy.EndPoint(), "/via-edge"));
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "198.51.100.77");

        using var response = await client.SendAsync(request);

        var echo = HttpTestBackend.ParseEcho(await response.Content.ReadAsStringAsync());
        Assert.Equal("203.0.113.9", echo.Header("X-Forwarded-For"));
        Assert.Equal("203.0.113.9", echo.Header("X-Real-IP"));
        var line = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Path") == "/via-edge");
        Assert.StartsWith("203.0.113.9:", line.Get("Client"), StringComparison.Ordinal);
    }
}
