using System.Diagnostics;
using System.Net;
using System.Text.Json;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// SPEC §7 "backend that never completes the TCP handshake": at connect_timeout the dial is cancelled, the slot
/// freed and the outcome logged; and shutdown_timeout bounds the process's exit with such dials in flight. The
/// backend is a listener whose full accept queue makes the kernel drop every SYN (<see cref="BlackHoleBackend"/>).
/// </summary>
public sealed class ConnectTimeoutTests : IAsyncLifetime
{
    private readonly TestCertificates _certs = new();
    private readonly string _directory = TestProxy.CreateTempDirectory();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _certs.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task BlackHoledBackend_AtConnectTimeout_FreesTheSlotForAnotherRoute_AndWritesTheAccessLine()
    {
        using var blackHole = await BlackHoleBackend.StartAsync();
        await using var lit = new RawBackend(halfCloseFirst: true, reply: "hello from lit\n"u8.ToArray());
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
            max_connections = 2
              [[listeners.routes]]
              hostname = "dark.example.test"
              backend = "{blackHole.Address}"
              [[listeners.routes]]
              hostname = "lit.example.test"
              backend = "{lit.Address}"
            [proxy]
            connect_timeout = "500ms"
            """, _directory);

        // Both of the listener's slots dial the black hole; each client is closed at connect_timeout.
        var dark = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            RawClient.SendAndReadEndAsync(proxy.EndPoint(), ClientHelloBuilder.Build("dark.example.test"))));
        Assert.All(dark, end => Assert.Equal(("eof", 0), end));

        // The dials were cancelled, not left to the kernel's SYN retries (minutes): both access lines are written.
        await proxy.Log.WaitForAsync(_ => proxy.Log.Access.Count(IsDark) == 2);
        foreach (var line in proxy.Log.Access.Where(IsDark))
        {
            Assert.Equal("backend_unreachable", line.Get("Outcome"));
            Assert.Contains($"connect {blackHole.Address}: no answer within connect_timeout", line.Get("Detail"), StringComparison.Ordinal);
        }

        // And their slots are free: the listener's other route is served, not refused as over the limit.
        var served = await RawClient.SendAndReadEndAsync(proxy.EndPoint(), ClientHelloBuilder.Build("lit.example.test"));
        Assert.Equal(("eof", "hello from lit\n".Length), served);
        await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Sni") == "lit.example.test" && e.Get("Outcome") == "ok");
        Assert.DoesNotContain(proxy.Log.Access, e => e.Get("Outcome") == "limit");

        static bool IsDark(LogEntry e) => e.Get("Sni") == "dark.example.test";
    }

    [Fact]
    public async Task L7RouteToABlackHole_AnswersBadGatewayAtConnectTimeout_AndTheConnectionServesTheNextRequest()
    {
        using var blackHole = await BlackHoleBackend.StartAsync();
        var pem = PemFiles.Write(_certs.IssueServer("web.example.test"), _directory, "web");
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "web.example.test"
              backend = "{blackHole.Address}"
              mode = "l7"
              tls_cert = "{pem.Cert}"
              tls_key = "{pem.Key}"
            [proxy]
            connect_timeout = "500ms"
            """, _directory);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);

        // YARP's SocketsHttpHandler dials with ConnectTimeout = connect_timeout: the dial is cancelled and the request
        // answered 502 (SPEC: a backend that times out is a bad gateway, not YARP's 504), and the client's connection stays usable.
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync(L7TestClient.Url("web.example.test", proxy.EndPoint())).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        await proxy.Log.WaitForAsync(_ => proxy.Log.Access.Count(e => e.Get("Status") == "502") == 2);
    }

    [Fact]
    public async Task Sigterm_WithDialsAndL7RequestsToABlackHoleInFlight_ExitsWithinShutdownTimeout()
    {
        using var blackHole = await BlackHoleBackend.StartAsync();
        var pem = PemFiles.Write(_certs.IssueServer("web.example.test"), _directory, "web");
        var configPath = Path.Combine(_directory, "mc-proxy.toml");
        // connect_timeout far beyond shutdown_timeout: only the drain's end can free these connections in time.
        await File.WriteAllTextAsync(configPath, $"""
            [database]
            path = "mc-proxy.db"
            [log]
            level = "debug"
            [proxy]
            connect_timeout = "60s"
            shutdown_timeout = "1s"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "dark.example.test"
              backend = "{blackHole.Address}"
              [[listeners.routes]]
              hostname = "web.example.test"
              backend = "{blackHole.Address}"
              mode = "l7"
              tls_cert = "{pem.Cert}"
              tls_key = "{pem.Key}"
            """);

        using var server = ServerProcess.Start("server", "-c", configPath);
        var listening = await server.WaitForLineAsync(l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
        var endPoint = IPEndPoint.Parse(Parse(listening).GetProperty("State").GetProperty("EndPoint").GetString()!);

        // Two L4 connections dialling the black hole (the ClientHello line is logged just before the dial) ...
        using var first = await RawClient.ConnectAsync(endPoint);
        using var second = await RawClient.ConnectAsync(endPoint);
        await first.SendAsync(ClientHelloBuilder.Build("dark.example.test"));
        await second.SendAsync(ClientHelloBuilder.Build("dark.example.test"));
        await server.WaitForLineAsync(l => server.StdoutLines.Count(IsDarkHello) == 2);

        // ... and an L7 request that YARP is forwarding to it (its backend client is created for the first request).
        using var client = L7TestClient.Create(endPoint, _certs, HttpVersion.Version11);
        var request = client.GetAsync(L7TestClient.Url("web.example.test", endPoint));
        await server.WaitForLineAsync(l => l.Contains("Backend client created", StringComparison.Ordinal));

        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(0, await server.TerminateAsync());
        stopwatch.Stop();

        // Every connection was closed and logged: the dials were cancelled at the end of the drain, not abandoned
        // to the kernel's SYN retries when the process exits.
        var access = server.StdoutLines.Select(Parse).Where(l => l.GetProperty("Category").GetString() == "McProxy.Access").Select(l => l.GetProperty("State")).ToList();
        var dials = access.Where(a => Field(a, "Sni") == "dark.example.test").ToList();
        Assert.Equal(2, dials.Count);
        Assert.All(dials, a => Assert.Equal("shutdown", a.GetProperty("Outcome").GetString()));
        Assert.Contains(access, a => Field(a, "Sni") == "web.example.test" && Field(a, "Mode") == "l7");
        Assert.Equal("eof", await RawClient.ReadToEndAsync(first, TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => request.WaitAsync(TimeSpan.FromSeconds(10)));

        // shutdown_timeout (1 s) plus a generous margin for the process's own exit on a busy machine.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1 + 4), $"exited {stopwatch.Elapsed} after SIGTERM");

        static bool IsDarkHello(string line) => line.Contains("ClientHello sni=dark.example.test", StringComparison.Ordinal);
    }

    private static string? Field(JsonElement state, string name) => state.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static JsonElement Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}
