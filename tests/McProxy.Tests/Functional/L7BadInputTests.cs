using System.Net;
using System.Net.Sockets;
using McProxy.Config;
using McProxy.Listener;
using McProxy.Model;
using McProxy.Routing;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// L7 bad input and lifecycle: a failed handshake, bytes that are not HTTP, a certificate file gone, a route added
/// at runtime, and a drain with a request in flight. Each time the connection gets a clear answer or is closed, the
/// server keeps serving, and the connection's access line says what happened.
/// </summary>
public sealed class L7BadInputTests : IAsyncLifetime
{
    private const string Hostname = "edge.example.test";

    private readonly TestCertificates _certs = new();
    private string _directory = null!;
    private (string Cert, string Key) _pem;
    private HttpTestBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _pem = PemFiles.Write(_certs.IssueServer(Hostname, "late.example.test"), _directory, "edge");
        _backend = await HttpTestBackend.StartAsync(BackendMode.Http1, configure: app =>
            app.Map("/held", async context =>
            {
                await Released.Task.WaitAsync(context.RequestAborted);
                await context.Response.WriteAsync("released");
            }));
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _certs.Dispose();
    }

    private TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task<TestProxy> StartProxyAsync(string extra = "", TimeSpan? fileCheckInterval = null) => TestProxy.StartAsync($"""
        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "{Hostname}"
          backend = "{_backend.Address}"
          mode = "l7"
          tls_cert = "{_pem.Cert}"
          tls_key = "{_pem.Key}"
        {extra}
        """, _directory, fileCheckInterval);

    private async Task AssertStillServesAsync(TestProxy proxy, string hostname = Hostname)
    {
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);
        using var response = await client.GetAsync(L7TestClient.Url(hostname, proxy.EndPoint(), "/still-serving"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ClientHelloThenSilence_ClosedAtHelloTimeoutAsTlsFailed()
    {
        await using var proxy = await StartProxyAsync("[proxy]\nhello_timeout = \"1s\"");
        using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            // Routed, handed to Kestrel, and then the client never answers the ServerHello.
            await socket.SendAsync(ClientHelloBuilder.Build(Hostname), SocketFlags.None);

            Assert.Contains(await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(30)), new[] { "eof", "reset" });
        }

        var line = await proxy.Log.WaitForAccessAsync(ConnectionOutcome.TlsFailed);
        Assert.Equal("l7", line.Get("Mode"));
        await AssertStillServesAsync(proxy);
        Assert.Equal(1, _backend.Requests);
    }

    [Fact]
    public async Task ClientHelloThenGarbage_ClosedAsTlsFailedAndServerGoesOn()
    {
        await using var proxy = await StartProxyAsync();
        using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            await socket.SendAsync(ClientHelloBuilder.Build(Hostname), SocketFlags.None);
            await socket.SendAsync("this is not a TLS record at all\r\n"u8.ToArray(), SocketFlags.None);

            Assert.Contains(await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(30)), new[] { "eof", "reset" });
        }

        await proxy.Log.WaitForAccessAsync(ConnectionOutcome.TlsFailed);
        await AssertStillServesAsync(proxy);
    }

    [Fact]
    public async Task AfterHandshake_BytesThatAreNotHttp_Answered400AndServerGoesOn()
    {
        await using var proxy = await StartProxyAsync();
        await using (var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), Hostname, _certs))
        {
            await client.WriteAsync("HELLO THERE, THIS IS NOT HTTP\r\n\r\n");

            Assert.StartsWith("HTTP/1.1 400", await client.ReadUntilAsync("\r\n"), StringComparison.Ordinal);
        }

        await AssertStillServesAsync(proxy);
        Assert.Equal(1, _backend.Requests);
    }

    [Fact]
    public async Task CertificateFileGone_AtTheRoutesFirstHandshake_FailsWithLoggedError_BackAfterTheWatchersTickOnceRestored()
    {
        // The watcher's timer never fires during the test: the ticks are the test's own.
        await using var proxy = await StartProxyAsync(fileCheckInterval: TimeSpan.FromHours(1));
        // A route added at runtime whose certificate is not there (yet) when its first client arrives.
        var missing = Path.Combine(_directory, "late.pem");
        var listener = proxy.Server.Routing.Listeners[0];
        listener.Swap(listener.Snapshot.WithRoute(new RouteEntry(new RouteSettings
        {
            Hostname = "late.example.test",
            Backends = [_backend.Address],
            Mode = RouteMode.L7,
            TlsCert = missing,
            TlsKey = _pem.Key,
        })));

        await Assert.ThrowsAnyAsync<Exception>(() => TlsTestClient.ConnectAsync(proxy.EndPoint(), "late.example.test", _certs));
        await proxy.Log.WaitForAccessAsync(ConnectionOutcome.TlsFailed);
        await proxy.Log.WaitForAsync(e => e.Get("Path") == missing && e.Level == LogLevel.Error);

        File.Copy(_pem.Cert, missing);
        proxy.Server.Files.CheckNow();
        await AssertStillServesAsync(proxy, "late.example.test");

        // A loaded certificate whose file goes away is kept: the last good one is served, the change logged.
        File.Delete(_pem.Cert);
        proxy.Server.Files.CheckNow();
        await AssertStillServesAsync(proxy);
        Assert.Single(proxy.Log.Entries, e => e.Get("Path") == _pem.Cert && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task L7RouteAddedAtRuntime_NextConnection_IsServed()
    {
        await using var proxy = await StartProxyAsync();
        var listener = proxy.Server.Routing.Listeners[0];

        listener.Swap(listener.Snapshot.WithRoute(new RouteEntry(new RouteSettings
        {
            Hostname = "late.example.test",
            Backends = [_backend.Address],
            Mode = RouteMode.L7,
            TlsCert = _pem.Cert,
            TlsKey = _pem.Key,
        })));

        await AssertStillServesAsync(proxy, "late.example.test");
    }

    [Fact]
    public async Task Stop_WithRequestInFlight_RequestCompletesThenConnectionCloses()
    {
        var proxy = await StartProxyAsync();
        try
        {
            using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);
            var held = client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/held"));
            await proxy.Log.WaitForAsync(_ => _backend.Requests == 1);

            var stopping = proxy.StopAsync();
            // New connections are refused while the one in flight finishes.
            await proxy.Log.WaitForAsync(e => e.Message.StartsWith("Stopping", StringComparison.Ordinal));
            Released.SetResult();
            using var response = await held;
            await stopping;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("released", await response.Content.ReadAsStringAsync());
            // Closed by Kestrel's graceful stop (GOAWAY), not aborted at the end of shutdown_timeout.
            var line = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Mode") == "l7");
            Assert.Equal(ConnectionOutcome.Ok, line.Get("Outcome"));
        }
        finally
        {
            await proxy.DisposeAsync();
        }
    }
}
