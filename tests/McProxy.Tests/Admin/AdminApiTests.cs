using Grpc.Core;
using Grpc.Health.V1;
using McProxy.Client.V1;
using McProxy.Tests.TestInfrastructure;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Tests.Admin;

/// <summary>Every RPC over the Unix socket, against a live proxy: the answer, the database and the live tables.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private AdminEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await AdminEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private McProxy.Routing.ListenerState Live => _env.Proxy.Server.Routing.FindListener(AdminEnvironment.Listener)!;

    private long ListenerId => _env.Store.Listeners.List().Single(l => l.Addr == AdminEnvironment.Listener).Id;

    [Fact]
    public async Task GetStatus_LiveServer_ReportsVersionUptimeAndListenerCounters()
    {
        await using (var client = await TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), AdminEnvironment.L4Host, _env.Certs))
        {
            await client.ReadUntilAsync("\n");
            var status = await _env.Client.GetStatusAsync();

            Assert.Equal("0.1.0", status.Version);
            Assert.True(status.Uptime.ToTimeSpan() >= TimeSpan.Zero);
            var listener = Assert.Single(status.Listeners);
            Assert.Equal(AdminEnvironment.Listener, listener.Addr);
            Assert.Equal(_env.Proxy.EndPoint().ToString(), listener.BoundAddr);
            Assert.Equal(2, listener.RouteCount);
            Assert.Equal(1, listener.ActiveConnections);
            Assert.Equal(1, listener.TotalConnections);
            Assert.Equal(1, status.ActiveConnections);
        }
    }

    [Fact]
    public async Task Health_StoreAnswers_IsServing()
    {
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await _env.Client.CheckHealthAsync());
    }

    [Fact]
    public async Task ListRoutes_SeededListener_ReturnsBothRoutesWithModes()
    {
        var routes = await _env.Client.ListRoutesAsync(AdminEnvironment.Listener);

        Assert.Equal([AdminEnvironment.L4Host, AdminEnvironment.L7Host], routes.Select(r => r.Hostname));
        Assert.Equal(["l4", "l7"], routes.Select(r => r.Mode));
        Assert.All(routes, r => Assert.Equal(AdminEnvironment.Listener, r.ListenerAddr));
        Assert.Equal(routes, await _env.Client.ListRoutesAsync());
    }

    [Fact]
    public async Task AddRoute_NewHostname_StoredLiveAndTakesTheNextConnection()
    {
        var stored = await _env.Client.AddRouteAsync(AdminEnvironment.Listener, new Route { Hostname = "NEW.example.test.", Backend = _env.Two.Address });

        Assert.Equal("new.example.test", stored.Hostname);
        Assert.Equal("l4", stored.Mode);
        Assert.NotNull(_env.Store.Routes.GetRouteId(ListenerId, "new.example.test"));
        await using var client = await TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), "new.example.test", _env.Certs);
        Assert.StartsWith("hello from two", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRoute_ExistingHostname_ReplacesBackendInPlace()
    {
        await _env.Client.AddRouteAsync(AdminEnvironment.Listener, new Route { Hostname = AdminEnvironment.L4Host, Backend = _env.Two.Address, SendProxyProtocol = false });
        await _env.Client.AddRouteAsync(AdminEnvironment.Listener, new Route { Hostname = AdminEnvironment.L4Host, Backend = _env.Two.Address });

        var routes = _env.Store.Routes.List().Where(r => r.Hostname == AdminEnvironment.L4Host).ToList();
        Assert.Equal(_env.Two.Address, Assert.Single(routes).Route.Backend);
        await using var client = await TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), AdminEnvironment.L4Host, _env.Certs);
        Assert.StartsWith("hello from two", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoveRoute_WhileConnectionOpen_OldConnectionKeepsFlowingNewOnesAreClosed()
    {
        await using var before = await TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), AdminEnvironment.L4Host, _env.Certs);
        await before.ReadUntilAsync("\n");

        await _env.Client.RemoveRouteAsync(AdminEnvironment.Listener, AdminEnvironment.L4Host);

        await before.WriteAsync("still here\n");
        Assert.Contains("still here\n", await before.ReadUntilAsync("still here\n"), StringComparison.Ordinal);
        Assert.Null(_env.Store.Routes.GetRouteId(ListenerId, AdminEnvironment.L4Host));
        await Assert.ThrowsAnyAsync<Exception>(() => TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), AdminEnvironment.L4Host, _env.Certs));
        Assert.Contains("bye one", await before.CloseGracefullyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoveRoute_WithPolicies_DropsThemFromMemoryAndDatabase()
    {
        await _env.Client.AddL7PolicyAsync(AdminEnvironment.Listener, AdminEnvironment.L7Host, "block_user_agent", "GPTBot");

        await _env.Client.RemoveRouteAsync(AdminEnvironment.Listener, AdminEnvironment.L7Host);

        Assert.Empty(Live.Snapshot.Policies.For(AdminEnvironment.L7Host));
        Assert.Empty(_env.Store.L7Policies.List());
        Assert.DoesNotContain(Live.Snapshot.Routes.Routes, r => r.Hostname == AdminEnvironment.L7Host);
    }

    [Fact]
    public async Task FirewallRules_AddListRemove_NormalisedAndStored()
    {
        var added = await _env.Client.AddFirewallRuleAsync("cidr", "203.0.113.0/24");
        await _env.Client.AddFirewallRuleAsync("ip", "::ffff:198.51.100.7");
        await _env.Client.AddFirewallRuleAsync("ip", "198.51.100.7");

        Assert.Equal("203.0.113.0/24", added.Value);
        var rules = await _env.Client.ListFirewallRulesAsync();
        Assert.Equal([("cidr", "203.0.113.0/24"), ("ip", "198.51.100.7")], rules.Select(r => (r.Type, r.Value)));
        Assert.Equal(2, _env.Store.FirewallRules.List().Count);

        await _env.Client.RemoveFirewallRuleAsync("ip", "198.51.100.7");

        Assert.Equal("cidr", Assert.Single(_env.Store.FirewallRules.List()).Type);
        var missing = await Assert.ThrowsAsync<RpcException>(() => _env.Client.RemoveFirewallRuleAsync("ip", "198.51.100.7"));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task AddFirewallRule_ForTheClientAddress_ResetsTheNextConnection_UntilRemoved()
    {
        await _env.Client.AddFirewallRuleAsync("ip", "127.0.0.1");

        var (end, received) = await RawClient.SendAndReadEndAsync(_env.Proxy.EndPoint(), ClientHelloBuilder.Build(AdminEnvironment.L4Host));
        Assert.Equal(("reset", 0), (end, received));

        await _env.Client.RemoveFirewallRuleAsync("ip", "127.0.0.1");

        await using var client = await TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), AdminEnvironment.L4Host, _env.Certs);
        Assert.StartsWith("hello from one", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task L7Policies_AddListRemove_InOrderInMemoryAndDatabase()
    {
        await _env.Client.AddL7PolicyAsync(AdminEnvironment.Listener, AdminEnvironment.L7Host, "block_user_agent", "GPTBot");
        await _env.Client.AddL7PolicyAsync(AdminEnvironment.Listener, "WEB.example.test", "require_header", "X-Token");

        var listed = await _env.Client.ListL7PoliciesAsync(AdminEnvironment.Listener, AdminEnvironment.L7Host);
        Assert.Equal([("block_user_agent", "GPTBot"), ("require_header", "X-Token")], listed.Select(p => (p.Type, p.Value)));
        Assert.Equal(listed.Select(p => (p.Type, p.Value)), Live.Snapshot.Policies.For(AdminEnvironment.L7Host).Select(p => (p.Type, p.Value)));
        Assert.Equal(2, _env.Store.L7Policies.List().Count);
        var route = Assert.Single(await _env.Client.ListRoutesAsync(AdminEnvironment.Listener), r => r.Hostname == AdminEnvironment.L7Host);
        Assert.Equal(2, route.L7Policies.Count);

        await _env.Client.RemoveL7PolicyAsync(AdminEnvironment.Listener, AdminEnvironment.L7Host, "block_user_agent", "GPTBot");

        Assert.Equal("require_header", Assert.Single(Live.Snapshot.Policies.For(AdminEnvironment.L7Host)).Type);
        Assert.Equal("X-Token", Assert.Single(_env.Store.L7Policies.List()).Value);
    }

    [Fact]
    public async Task AddRoute_FiftyConcurrentCalls_AllLandInMemoryAndDatabase()
    {
        var names = Enumerable.Range(0, 50).Select(i => $"host{i}.example.test").ToList();

        await Task.WhenAll(names.Select(n => _env.Client.AddRouteAsync(AdminEnvironment.Listener, new Route { Hostname = n, Backend = _env.One.Address })));

        var live = Live.Snapshot.Routes.Routes.Select(r => r.Hostname).ToHashSet();
        var stored = _env.Store.Routes.List().Select(r => r.Hostname).ToHashSet();
        Assert.All(names, n => Assert.Contains(n, live));
        Assert.Equal(live, stored);
        Assert.Equal(52, stored.Count);
    }

    [Fact]
    public async Task Changes_AfterRestartOnSameDatabase_AreAllThere()
    {
        await _env.Client.AddRouteAsync(AdminEnvironment.Listener, new Route { Hostname = "new.example.test", Backend = _env.Two.Address });
        await _env.Client.AddFirewallRuleAsync("ip", "192.0.2.1");
        await _env.Client.AddL7PolicyAsync(AdminEnvironment.Listener, AdminEnvironment.L7Host, "require_header", "X-Token");
        await _env.Client.RemoveRouteAsync(AdminEnvironment.Listener, AdminEnvironment.L4Host);

        await _env.StopProxyAsync();
        await _env.StartProxyAsync();

        var routes = await _env.Client.ListRoutesAsync();
        Assert.Equal(["new.example.test", AdminEnvironment.L7Host], routes.Select(r => r.Hostname));
        Assert.Equal(("ip", "192.0.2.1"), (await _env.Client.ListFirewallRulesAsync()).Select(r => (r.Type, r.Value)).Single());
        Assert.Equal("X-Token", Assert.Single(Live.Snapshot.Policies.For(AdminEnvironment.L7Host)).Value);
        await using var client = await TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), "new.example.test", _env.Certs);
        Assert.StartsWith("hello from two", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Socket_IsOwnerOnly_AndAStaleSocketIsReplacedAtStart()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_env.SocketPath));

        // A server killed without cleanup leaves its socket file: the next start must bind anyway. (Anything at
        // the path that is not a socket refuses the start: StartupRefusalTests.)
        await _env.StopProxyAsync();
        StaleSocket.Create(_env.SocketPath);
        await _env.StartProxyAsync();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await _env.Client.CheckHealthAsync());
    }

    [Fact]
    public async Task AdminApi_OnAProxyListener_IsNotServed()
    {
        // A gRPC call aimed at the proxy listener gets no answer from the admin service: it is not a TLS ClientHello.
        using var handler = new SocketsHttpHandler();
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress($"http://{_env.Proxy.EndPoint()}", new global::Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler });
        var client = new ProxyAdminService.ProxyAdminServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.GetStatusAsync(new GetStatusRequest()));

        // The transport failed (no HTTP/2 server there), rather than a server answering with a status.
        Assert.Contains(error.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Empty(error.Trailers);
    }
}
