using System.Net;
using System.Net.Sockets;
using System.Text;
using McProxy.Http;
using McProxy.Model;
using McProxy.Routing;
using McProxy.Routing.Pools;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// Backend pools on the data path, with real loopback backends behind a running proxy whose route is swapped for a
/// pool: how each balance spreads connections, a dead member retried past, nothing usable (no_backend, 503), a
/// drain that lets a long stream finish, and active checks that take a dead backend out and bring it back.
/// </summary>
public sealed class PoolDataPathTests : IAsyncLifetime
{
    private const string L4Host = "pool.example.test";
    private const string L7Host = "web.example.test";
    private static readonly byte[] Hello = ClientHelloBuilder.Build(L4Host);

    private readonly TestCertificates _certs = new();
    private readonly NamedTcpBackend[] _tcp = [new("a"), new("b"), new("c")];
    private readonly List<HttpTestBackend> _http = [];
    private string _directory = null!;
    private (string Cert, string Key) _pem;

    public Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _pem = PemFiles.Write(_certs.IssueServer(L7Host), _directory, "web");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var backend in _tcp)
        {
            await backend.DisposeAsync();
        }

        foreach (var backend in _http)
        {
            await backend.DisposeAsync();
        }

        _certs.Dispose();
    }

    /// <summary>A proxy with one L4 route and one L7 route, each to a single backend until a test swaps in its pool.</summary>
    private async Task<TestProxy> StartAsync(TimeSpan? healthInterval = null, TimeSpan? shutdownTimeout = null)
    {
        var http = await HttpTestBackend.StartAsync(BackendMode.Http1);
        _http.Add(http);
        return await TestProxy.StartAsync(
            $"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{L4Host}"
              backend = "{_tcp[0].Address}"
              [[listeners.routes]]
              hostname = "{L7Host}"
              backend = "{http.Address}"
              mode = "l7"
              tls_cert = "{_pem.Cert}"
              tls_key = "{_pem.Key}"
            """,
            config =>
            {
                if (healthInterval is { } interval)
                {
                    config = config with { Proxy = config.Proxy with { HealthInterval = interval, HealthTimeout = interval } };
                }

                return shutdownTimeout is { } shutdown ? config with { Proxy = config.Proxy with { ShutdownTimeout = shutdown } } : config;
            },
            _directory);
    }

    /// <summary>Puts <paramref name="hostname"/>'s route in force as a pool of <paramref name="backends"/>, as an upsert would.</summary>
    private static RouteEntry SwapPool(TestProxy proxy, string hostname, BalanceAlgorithm balance, IEnumerable<string> backends,
        HealthCheckSetting? check = null, HealthPolicy? policy = null)
    {
        var listener = proxy.Server.Routing.Listeners[0];
        var previous = listener.Snapshot.FindRoute(hostname)!;
        var route = previous.Route with { Backends = [.. backends], Balance = balance, HealthCheck = check ?? HealthCheckSetting.None };
        var entry = new RouteEntry(route, policy ?? HealthPolicy.None, previous, healthChanged: proxy.Server.Health.LogTransition);
        listener.Swap(listener.Snapshot.WithRoute(entry));
        return entry;
    }

    private static PoolMember Member(RouteEntry entry, string address) => entry.Pool.Members.Single(m => m.Address.ToString() == address);

    /// <summary>A client that has sent its ClientHello and read the backend's name ("" when the proxy closed it instead).</summary>
    private static async Task<(Socket Socket, string Backend)> OpenAsync(TestProxy proxy)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(proxy.EndPoint());
        await socket.SendAsync(Hello, SocketFlags.None);
        var line = new StringBuilder();
        var one = new byte[1];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await socket.ReceiveAsync(one, SocketFlags.None, deadline.Token) == 1 && one[0] != '\n')
            {
                line.Append((char)one[0]);
            }
        }
        catch (SocketException)
        {
            line.Clear();
        }

        return (socket, line.ToString());
    }

    /// <summary>One connection: which backend answered, then closed from the client's side.</summary>
    private static async Task<string> ConnectOnceAsync(TestProxy proxy)
    {
        var (socket, backend) = await OpenAsync(proxy);
        Close(socket);
        return backend;
    }

    private static async Task<List<string>> ConnectManyAsync(TestProxy proxy, int count)
    {
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            names.Add(await ConnectOnceAsync(proxy));
        }

        return names;
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        socket.Dispose();
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        return buffer;
    }

    /// <summary>Every lease given back: each member's active count is 0 again.</summary>
    private static Task WaitForIdleAsync(TestProxy proxy, RouteEntry entry)
        => proxy.Log.WaitForAsync(_ => entry.Pool.Members.All(m => m.ActiveConnections == 0));

    /// <summary>An address nothing listens on: a connect to it is refused.</summary>
    private static string ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return $"127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}";
    }

    [Fact]
    public async Task RoundRobin_300Connections_SpreadAThirdEach_AndEveryLeaseIsGivenBack()
    {
        await using var proxy = await StartAsync();
        var entry = SwapPool(proxy, L4Host, BalanceAlgorithm.RoundRobin, _tcp.Select(b => b.Address));

        var names = await ConnectManyAsync(proxy, 300);

        var counts = names.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["a", "b", "c"], counts.Keys.Order());
        Assert.All(counts.Values, count => Assert.InRange(count, 90, 110));
        Assert.Equal(counts["b"], _tcp[1].Accepted);
        await WaitForIdleAsync(proxy, entry);
        // The access line names the member each connection used.
        await proxy.Log.WaitForAsync(_ => proxy.Log.Access.Count(e => e.Get("Outcome") == ConnectionOutcome.Ok) == 300);
        var used = proxy.Log.Access.Where(e => e.Get("Outcome") == ConnectionOutcome.Ok).GroupBy(e => e.Get("Backend")).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(counts["a"], used[_tcp[0].Address]);
        Assert.Equal(counts["c"], used[_tcp[2].Address]);
    }

    [Fact]
    public async Task LeastConnections_NewConnectionsGoToTheIdleBackends_WhileOneHoldsLongOnes()
    {
        await using var proxy = await StartAsync();
        SwapPool(proxy, L4Host, BalanceAlgorithm.LeastConnections, [_tcp[0].Address]);
        var held = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var (socket, backend) = await OpenAsync(proxy);
            Assert.Equal("a", backend);
            held.Add(socket);
        }

        // The route grows to three backends; "a" keeps its member, and so its three connections.
        var entry = SwapPool(proxy, L4Host, BalanceAlgorithm.LeastConnections, _tcp.Select(b => b.Address));
        Assert.Equal(3, Member(entry, _tcp[0].Address).ActiveConnections);

        var names = await ConnectManyAsync(proxy, 20);

        Assert.DoesNotContain("a", names);
        Assert.Contains("b", names);
        Assert.Contains("c", names);
        held.ForEach(Close);
        await WaitForIdleAsync(proxy, entry);
    }

    [Fact]
    public async Task First_TheStandbyServesOnlyWhileTheFirstIsDrainedOrDown()
    {
        await using var proxy = await StartAsync();
        // Down at the first failed connect, and no check to bring it back: what "down" does is all this test looks at.
        var entry = SwapPool(proxy, L4Host, BalanceAlgorithm.First, [_tcp[0].Address, _tcp[1].Address], policy: new HealthPolicy(1, 1, TimeSpan.FromHours(1)));
        var first = Member(entry, _tcp[0].Address);

        Assert.All(await ConnectManyAsync(proxy, 5), name => Assert.Equal("a", name));
        first.SetAdminState(BackendAdminState.Drain);
        Assert.All(await ConnectManyAsync(proxy, 5), name => Assert.Equal("b", name));
        first.SetAdminState(BackendAdminState.Enabled);
        Assert.All(await ConnectManyAsync(proxy, 5), name => Assert.Equal("a", name));

        await _tcp[0].StopAsync();
        // The first connection finds "a" refusing, marks it down and goes on to "b"; the next ones do not dial "a".
        Assert.All(await ConnectManyAsync(proxy, 5), name => Assert.Equal("b", name));
        Assert.False(first.IsUp);
        Assert.Equal(1, first.FailedConnects);
        Assert.DoesNotContain(proxy.Log.Access, e => e.Get("Outcome") == ConnectionOutcome.BackendUnreachable);
        await WaitForIdleAsync(proxy, entry);
    }

    [Fact]
    public async Task DeadBackendInThePool_500L4Connections_AllServedByTheLiveOnes()
    {
        await using var proxy = await StartAsync();
        var dead = ClosedPort();
        // No checks: the dead member stays "up", so every third pick dials it and the connection goes on to the next.
        var entry = SwapPool(proxy, L4Host, BalanceAlgorithm.RoundRobin, [_tcp[0].Address, dead, _tcp[2].Address]);

        var names = await ConnectManyAsync(proxy, 500);

        Assert.All(names, name => Assert.Contains(name, new[] { "a", "c" }));
        Assert.InRange(Member(entry, dead).FailedConnects, 100, 500);
        Assert.DoesNotContain(proxy.Log.Access, e => e.Get("Outcome") == ConnectionOutcome.BackendUnreachable);
        await WaitForIdleAsync(proxy, entry);
    }

    [Fact]
    public async Task BlackHoleFirstInLine_TakesOnlyItsShareOfConnectTimeout_TheNextMemberServesTheConnection()
    {
        using var blackHole = await BlackHoleBackend.StartAsync();
        await using var proxy = await TestProxy.StartAsync($"""
            [proxy]
            connect_timeout = "2s"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{L4Host}"
              backend = "{_tcp[0].Address}"
            """);
        // "first": the black hole is always dialed first. With the whole connect_timeout it would leave nothing for "a".
        var entry = SwapPool(proxy, L4Host, BalanceAlgorithm.First, [blackHole.Address, _tcp[0].Address]);

        Assert.Equal("a", await ConnectOnceAsync(proxy));

        Assert.Equal(1, Member(entry, blackHole.Address).FailedConnects);
        var line = await proxy.Log.WaitForAccessAsync(ConnectionOutcome.Ok);
        Assert.Equal(_tcp[0].Address, line.Get("Backend"));
        await WaitForIdleAsync(proxy, entry);
    }

    [Fact]
    public async Task OnlyBlackHoles_TheConnectionEndsAtConnectTimeoutAsBackendUnreachable_WithNoLeaseLeft()
    {
        using var first = await BlackHoleBackend.StartAsync();
        using var second = await BlackHoleBackend.StartAsync();
        await using var proxy = await TestProxy.StartAsync($"""
            [proxy]
            connect_timeout = "1s"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{L4Host}"
              backend = "{_tcp[0].Address}"
            """);
        var entry = SwapPool(proxy, L4Host, BalanceAlgorithm.RoundRobin, [first.Address, second.Address]);

        Assert.Equal("", await ConnectOnceAsync(proxy));

        var line = await proxy.Log.WaitForAccessAsync(ConnectionOutcome.BackendUnreachable);
        Assert.Contains("connect_timeout", line.Get("Detail"), StringComparison.Ordinal);
        Assert.Equal(2, entry.Pool.Members.Sum(m => m.FailedConnects));
        await WaitForIdleAsync(proxy, entry);
        Assert.Equal(0, proxy.Server.Services.Tracker.Count);
    }

    [Fact]
    public async Task DeadBackendInThePool_500L7Requests_AllAnsweredByTheLiveOnes()
    {
        await using var proxy = await StartAsync();
        var live = await HttpTestBackend.StartAsync(BackendMode.Http1);
        _http.Add(live);
        var dead = ClosedPort();
        var entry = SwapPool(proxy, L7Host, BalanceAlgorithm.RoundRobin, [_http[0].Address, dead, live.Address]);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version11);

        for (var i = 0; i < 500; i++)
        {
            using var response = await client.GetAsync(L7TestClient.Url(L7Host, proxy.EndPoint(), $"/r{i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(500, _http[0].Requests + live.Requests);
        Assert.InRange(_http[0].Requests, 150, 350);
        Assert.InRange(Member(entry, dead).FailedConnects, 100, 500);
        await WaitForIdleAsync(proxy, entry);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task DeadFirstMember_UploadsAreRetriedOnTheNext_WithTheirWholeBody(string version)
    {
        await using var proxy = await StartAsync();
        var dead = ClosedPort();
        // "first": every request dials the dead member first, fails to connect, and goes on to the live one.
        var entry = SwapPool(proxy, L7Host, BalanceAlgorithm.First, [dead, _http[0].Address]);
        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(version));
        var body = HttpTestBackend.Pattern(256 * 1024);
        var expected = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body));

        for (var i = 0; i < 10; i++)
        {
            using var response = await client.PostAsync(L7TestClient.Url(L7Host, proxy.EndPoint(), "/upload"), new ByteArrayContent(body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var reply = System.Text.Json.JsonSerializer.Deserialize<HttpTestBackend.UploadReply>(await response.Content.ReadAsStringAsync(), System.Text.Json.JsonSerializerOptions.Web)!;
            Assert.Equal(body.Length, reply.Bytes);
            Assert.Equal(expected, reply.Sha256);
        }

        Assert.Equal(10, Member(entry, dead).FailedConnects);
        Assert.Equal(10, _http[0].Requests);
        await WaitForIdleAsync(proxy, entry);
    }

    [Fact]
    public async Task WebSocket_HoldsItsMembersLeaseUntilItCloses()
    {
        await using var proxy = await StartAsync();
        var entry = SwapPool(proxy, L7Host, BalanceAlgorithm.LeastConnections, [_http[0].Address]);
        var member = entry.Pool.Members[0];
        using var invoker = new HttpMessageInvoker(L7TestClient.CreateHandler(proxy.EndPoint(), _certs));
        using var socket = new System.Net.WebSockets.ClientWebSocket();

        await socket.ConnectAsync(new Uri($"wss://{L7Host}:{proxy.EndPoint().Port}/ws"), invoker, CancellationToken.None);
        await socket.SendAsync("ping"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var received = await socket.ReceiveAsync(new byte[16], CancellationToken.None);

        Assert.Equal(4, received.Count);
        Assert.Equal(1, member.ActiveConnections);
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        socket.Dispose();
        invoker.Dispose();
        await WaitForIdleAsync(proxy, entry);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task ClientLeavesMidDownload_TheRequestsLeaseIsGivenBack(string version)
    {
        await using var proxy = await StartAsync();
        var entry = SwapPool(proxy, L7Host, BalanceAlgorithm.LeastConnections, [_http[0].Address]);
        var member = entry.Pool.Members[0];
        var client = L7TestClient.Create(proxy.EndPoint(), _certs, Version.Parse(version));
        var response = await client.GetAsync(L7TestClient.Url(L7Host, proxy.EndPoint(), "/download?bytes=1073741824"), HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[64 * 1024]);
        Assert.Equal(1, member.ActiveConnections);

        // The client gives up a GiB download after 64 KiB: the request is aborted and its member's count drops.
        client.Dispose();
        response.Dispose();
        await WaitForIdleAsync(proxy, entry);
        await proxy.Log.WaitForAsync(e => e.EventId == 20 && e.Get("Outcome") == RequestOutcome.ClientAborted);
    }

    [Fact]
    public async Task Shutdown_WithAnL4StreamAndAnL7DownloadOpen_GivesEveryLeaseBack()
    {
        var proxy = await StartAsync(shutdownTimeout: TimeSpan.FromMilliseconds(500));
        try
        {
            var l4 = SwapPool(proxy, L4Host, BalanceAlgorithm.RoundRobin, [_tcp[0].Address, _tcp[1].Address]);
            var l7 = SwapPool(proxy, L7Host, BalanceAlgorithm.RoundRobin, [_http[0].Address]);
            var (stream, _) = await OpenAsync(proxy);
            using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);
            using var response = await client.GetAsync(L7TestClient.Url(L7Host, proxy.EndPoint(), "/download?bytes=1073741824"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal((1, 1), (l4.Pool.Members.Sum(m => m.ActiveConnections), l7.Pool.Members[0].ActiveConnections));

            // Neither ends by itself (the download is not read): the drain runs out and closes both.
            await proxy.StopAsync();

            Assert.All(l4.Pool.Members.Concat(l7.Pool.Members), m => Assert.Equal(0, m.ActiveConnections));
            Close(stream);
        }
        finally
        {
            await proxy.DisposeAsync();
        }
    }

    [Fact]
    public async Task NothingUsable_L4ClosedAsNoBackend_L7Answers503()
    {
        await using var proxy = await StartAsync();
        var l4 = SwapPool(proxy, L4Host, BalanceAlgorithm.RoundRobin, [_tcp[0].Address, _tcp[1].Address]);
        var live = await HttpTestBackend.StartAsync(BackendMode.Http1);
        _http.Add(live);
        var l7 = SwapPool(proxy, L7Host, BalanceAlgorithm.RoundRobin, [_http[0].Address, live.Address]);
        foreach (var member in l4.Pool.Members.Concat(l7.Pool.Members))
        {
            member.SetAdminState(BackendAdminState.Drain);
        }

        Assert.Equal("", await ConnectOnceAsync(proxy));
        var line = await proxy.Log.WaitForAccessAsync(ConnectionOutcome.NoBackend);
        Assert.Equal("", line.Get("Backend"));
        Assert.Contains("2 drained", line.Get("Detail"), StringComparison.Ordinal);
        Assert.Equal(0, _tcp[0].Accepted + _tcp[1].Accepted);

        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);
        using var response = await client.GetAsync(L7TestClient.Url(L7Host, proxy.EndPoint(), "/"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var request = await proxy.Log.WaitForAsync(e => e.EventId == 20 && e.Get("Outcome") == RequestOutcome.NoBackend);
        Assert.Equal("503", request.Get("Status"));
        Assert.Equal(0, _http[0].Requests + live.Requests);

        // Back in service, the same route serves again.
        Member(l4, _tcp[1].Address).SetAdminState(BackendAdminState.Enabled);
        Assert.Equal("b", await ConnectOnceAsync(proxy));
    }

    [Fact]
    public async Task Drain_ALongStreamOnTheDrainedMemberRunsToItsEnd_AndNoNewConnectionGoesThere()
    {
        await using var proxy = await StartAsync();
        var entry = SwapPool(proxy, L4Host, BalanceAlgorithm.RoundRobin, [_tcp[0].Address, _tcp[1].Address]);
        var (stream, backend) = await OpenAsync(proxy);
        await ReadExactlyAsync(stream, Hello.Length);
        var drained = entry.Pool.Members.Single(m => m.Address.Port == _tcp.Single(b => b.Name == backend).Port);

        drained.SetAdminState(BackendAdminState.Drain);
        var names = await ConnectManyAsync(proxy, 10);

        Assert.DoesNotContain(backend, names);
        Assert.Equal(1, drained.ActiveConnections);
        // The stream still flows both ways through the drained member.
        await stream.SendAsync("still here"u8.ToArray(), SocketFlags.None);
        Assert.Equal("still here", Encoding.ASCII.GetString(await ReadExactlyAsync(stream, 10)));
        Close(stream);
        await proxy.Log.WaitForAsync(_ => drained.ActiveConnections == 0);
        await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Backend") == drained.Address.ToString()
            && e.Get("Outcome") == ConnectionOutcome.Ok && long.Parse(e.Get("BytesOut")!, System.Globalization.CultureInfo.InvariantCulture) > Hello.Length);
    }

    [Fact]
    public async Task HttpChecks_GetThePathAsTheRoutesHostname_A500TakesTheMemberDown_A200BringsItBack()
    {
        var status = StatusCodes.Status200OK;
        string? seenHost = null;
        var checkedBackend = await HttpTestBackend.StartAsync(BackendMode.Http1, configure: app => app.Map("/healthz", context =>
        {
            Volatile.Write(ref seenHost, context.Request.Host.Value);
            context.Response.StatusCode = Volatile.Read(ref status);
            return Task.CompletedTask;
        }));
        _http.Add(checkedBackend);
        await using var proxy = await StartAsync(healthInterval: TimeSpan.FromMilliseconds(200));
        var policy = new HealthPolicy(Rise: 2, Fall: 2, PassiveInterval: TimeSpan.FromMilliseconds(200));
        var entry = SwapPool(proxy, L7Host, BalanceAlgorithm.RoundRobin, [_http[^1].Address, checkedBackend.Address], HealthCheckSetting.Parse("http:/healthz"), policy);
        var member = Member(entry, checkedBackend.Address);

        await proxy.Log.WaitForAsync(_ => member.ChecksPassed >= 1);
        Assert.Equal(L7Host, Volatile.Read(ref seenHost));

        Volatile.Write(ref status, StatusCodes.Status500InternalServerError);
        var down = await proxy.Log.WaitForAsync(e => e.EventId == 700 && e.Message.Contains(checkedBackend.Address, StringComparison.Ordinal));
        Assert.Contains("HTTP 500", down.Message, StringComparison.Ordinal);
        Assert.False(member.IsUp);

        Volatile.Write(ref status, StatusCodes.Status200OK);
        await proxy.Log.WaitForAsync(e => e.EventId == 701 && e.Message.Contains(checkedBackend.Address, StringComparison.Ordinal));
        Assert.True(member.IsUp);
    }

    [Fact]
    public async Task ActiveChecks_ADeadBackendIsDownAfterFallChecks_GetsNothingWhileDown_AndIsBackAfterRiseChecks()
    {
        await using var proxy = await StartAsync(healthInterval: TimeSpan.FromMilliseconds(200));
        var policy = new HealthPolicy(Rise: 2, Fall: 2, PassiveInterval: TimeSpan.FromMilliseconds(200));
        var entry = SwapPool(proxy, L4Host, BalanceAlgorithm.RoundRobin, [_tcp[0].Address, _tcp[1].Address], HealthCheckSetting.Tcp, policy);
        Assert.True(proxy.Server.HealthChecks!.IsChecked(entry));
        var a = Member(entry, _tcp[0].Address);
        await proxy.Log.WaitForAsync(_ => a.ChecksPassed >= 1);

        await _tcp[0].StopAsync();
        var down = await proxy.Log.WaitForAsync(e => e.EventId == 700 && e.Message.Contains(_tcp[0].Address, StringComparison.Ordinal));
        Assert.Contains("after 2 failed checks", down.Message, StringComparison.Ordinal);
        Assert.False(a.IsUp);

        var names = await ConnectManyAsync(proxy, 20);
        Assert.All(names, name => Assert.Equal("b", name));
        // Not even dialed while down.
        Assert.Equal(0, a.FailedConnects);

        _tcp[0].Start();
        var up = await proxy.Log.WaitForAsync(e => e.EventId == 701 && e.Message.Contains(_tcp[0].Address, StringComparison.Ordinal));
        Assert.Contains("after 2 passed checks", up.Message, StringComparison.Ordinal);
        Assert.Contains("a", await ConnectManyAsync(proxy, 10));

        // A replaced route keeps its members' health and moves the registration; a route without checks has none.
        var replaced = SwapPool(proxy, L4Host, BalanceAlgorithm.LeastConnections, [_tcp[0].Address, _tcp[1].Address], HealthCheckSetting.Tcp, policy);
        Assert.Same(a, Member(replaced, _tcp[0].Address));
        Assert.False(proxy.Server.HealthChecks.IsChecked(entry));
        Assert.True(proxy.Server.HealthChecks.IsChecked(replaced));
        SwapPool(proxy, L4Host, BalanceAlgorithm.LeastConnections, [_tcp[0].Address], HealthCheckSetting.None);
        Assert.Equal(0, proxy.Server.HealthChecks.Count);
        await WaitForIdleAsync(proxy, replaced);
    }
}
