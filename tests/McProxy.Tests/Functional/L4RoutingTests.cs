using System.Net;
using System.Net.Sockets;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>A real TLS client through the proxy to real TLS backends, all on loopback.</summary>
public sealed class L4RoutingTests : IAsyncLifetime
{
    private readonly TestCertificates _certs = new();
    private TlsBackend _exact = null!;
    private TlsBackend _wildcard = null!;
    private TlsBackend _fallback = null!;

    public Task InitializeAsync()
    {
        _exact = new TlsBackend("exact", _certs.IssueServer("app.example.test"));
        _wildcard = new TlsBackend("wildcard", _certs.IssueServer("*.apps.example.test"));
        _fallback = new TlsBackend("fallback", _certs.IssueServer("fallback.example.test", "unknown.example.test", "localhost"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _exact.DisposeAsync();
        await _wildcard.DisposeAsync();
        await _fallback.DisposeAsync();
        _certs.Dispose();
    }

    private string Routes(bool withDefault) => $"""
        [[listeners]]
        addr = "127.0.0.1:0"
        {(withDefault ? "default_route = \"fallback.example.test\"" : "")}
          [[listeners.routes]]
          hostname = "APP.example.test"
          backend = "{_exact.Address}"
          [[listeners.routes]]
          hostname = "*.apps.example.test"
          backend = "{_wildcard.Address}"
          [[listeners.routes]]
          hostname = "fallback.example.test"
          backend = "{_fallback.Address}"
        """;

    /// <summary>One L4 route, raw.example.test, to a plain TCP backend.</summary>
    private static string RawRoute(RawBackend backend) => $"""
        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "raw.example.test"
          backend = "{backend.Address}"
        """;

    /// <summary>A plain TCP client of <paramref name="proxy"/> that has sent a ClientHello for raw.example.test.</summary>
    private static async Task<TcpClient> ConnectWithHelloAsync(TestProxy proxy)
    {
        var client = new TcpClient();
        await client.ConnectAsync(proxy.EndPoint());
        await client.GetStream().WriteAsync(ClientHelloBuilder.Build("raw.example.test"));
        return client;
    }

    [Theory]
    [InlineData("app.example.test", "exact")]
    [InlineData("App.Example.Test", "exact")]
    [InlineData("web.apps.example.test", "wildcard")]
    [InlineData("fallback.example.test", "fallback")]
    public async Task Connect_ByServerName_ReachesRoutedBackendWithItsOwnCertificate(string serverName, string backend)
    {
        await using var proxy = await TestProxy.StartAsync(Routes(withDefault: false));

        // The client validates the backend's certificate against the test CA: proof TLS passed through untouched.
        var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), serverName, _certs);
        var greeting = await client.ReadUntilAsync("\n");
        await client.CloseGracefullyAsync();

        Assert.Equal($"hello from {backend} sni={serverName}\n", greeting, ignoreCase: true);
        var access = await proxy.Log.WaitForAccessAsync("ok");
        Assert.Equal(serverName.ToLowerInvariant(), access.Get("Sni"));
        Assert.Equal("l4", access.Get("Mode"));
    }

    [Fact]
    public async Task Connect_UnknownServerNameWithDefaultRoute_ReachesDefaultBackend()
    {
        await using var proxy = await TestProxy.StartAsync(Routes(withDefault: true));

        await using var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "unknown.example.test", _certs);

        Assert.StartsWith("hello from fallback sni=unknown.example.test", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown.example.test")]
    [InlineData("apps.example.test")]
    [InlineData("a.b.apps.example.test")]
    public async Task Connect_UnmatchedServerNameWithoutDefault_IsClosedAndCountedAsNoRoute(string serverName)
    {
        await using var proxy = await TestProxy.StartAsync(Routes(withDefault: false));

        await Assert.ThrowsAnyAsync<IOException>(() => TlsTestClient.ConnectAsync(proxy.EndPoint(), serverName, _certs));

        var access = await proxy.Log.WaitForAccessAsync("no_route");
        Assert.Equal(serverName, access.Get("Sni"));
        Assert.Equal(0, _exact.Connections + _wildcard.Connections + _fallback.Connections);
    }

    [Fact]
    public async Task HalfClose_ClientShutsDownSending_StillReadsBackendReply()
    {
        await using var proxy = await TestProxy.StartAsync(Routes(withDefault: false));
        await using var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "app.example.test", _certs);
        await client.ReadUntilAsync("\n");
        await client.WriteAsync("ping\n");
        await client.ReadUntilAsync("ping\n");

        // TLS close_notify then TCP FIN from the client: the backend sees end of stream and only then says bye.
        await client.Tls.ShutdownAsync();
        client.Socket.Shutdown(SocketShutdown.Send);

        var all = await client.ReadUntilAsync("bye exact\n");
        Assert.EndsWith("ping\nbye exact\n", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HalfClose_BackendShutsDownSending_ClientCanStillSend()
    {
        await using var backend = new RawBackend(halfCloseFirst: true);
        await using var proxy = await TestProxy.StartAsync(RawRoute(backend));
        using var client = await ConnectWithHelloAsync(proxy);
        var stream = client.GetStream();

        // The backend closes its sending side at once; the client reads EOF but its own direction stays open.
        var buffer = new byte[1024];
        Assert.Equal(0, await stream.ReadAsync(buffer));
        await stream.WriteAsync("after-fin"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send);

        var received = await backend.Received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.EndsWith("after-fin", System.Text.Encoding.ASCII.GetString(received), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_BackendFinishesFirstThenClient_BothSidesSeeAnOrderlyEndOfStream()
    {
        await using var backend = new RawBackend(halfCloseFirst: true, reply: "answer"u8.ToArray());
        await using var proxy = await TestProxy.StartAsync(RawRoute(backend));
        using var client = await ConnectWithHelloAsync(proxy);
        var stream = client.GetStream();

        // The backend's reply and FIN reach the client as data then end of stream, not as a reset.
        var reply = new MemoryStream();
        var buffer = new byte[1024];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            reply.Write(buffer, 0, read);
        }

        Assert.Equal("answer", System.Text.Encoding.ASCII.GetString(reply.ToArray()));

        // The client's last bytes and FIN end the second direction: the proxy then closes both sockets, and the
        // backend still gets every byte and a FIN.
        await stream.WriteAsync("last"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send);
        var received = await backend.Received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.EndsWith("last", System.Text.Encoding.ASCII.GetString(received), StringComparison.Ordinal);
        Assert.False(backend.ResetSeen, "the backend connection ended with a reset");
        Assert.Equal(0, await stream.ReadAsync(buffer));
    }

    [Fact]
    public async Task Listener_OnIPv6Loopback_RoutesLikeIPv4()
    {
        await using var backend = new TlsBackend("v6", _certs.IssueServer("v6.example.test"), IPAddress.IPv6Loopback);
        var toml = $"""
            [[listeners]]
            addr = "[::1]:0"
              [[listeners.routes]]
              hostname = "v6.example.test"
              backend = "{backend.Address}"
            """;
        await using var proxy = await TestProxy.StartAsync(toml);
        Assert.Equal(AddressFamily.InterNetworkV6, proxy.EndPoint().AddressFamily);

        var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "v6.example.test", _certs);
        Assert.StartsWith("hello from v6", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
        await client.CloseGracefullyAsync();

        var access = await proxy.Log.WaitForAccessAsync("ok");
        Assert.StartsWith("[::1]:", access.Get("Client"), StringComparison.Ordinal);
    }
}
