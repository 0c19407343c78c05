using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using McProxy.Store;
using McProxy.Tests.Ctl;
using McProxy.Tests.TestInfrastructure;
using Microsoft.Data.Sqlite;

namespace McProxy.Tests.Functional;

/// <summary>
/// Issue 16 end to end, as an operator runs it: `mc-proxy server` from a TOML file in its own process, real loopback
/// backends, and the `mcproxyctl` executable on the admin socket. Balancing, active checks taking a backend out and
/// bringing it back, a dead member retried past, nothing usable, drain and disable, and pools and admin states
/// surviving a restart, a SIGKILL and the upgrade of a database written before pools (schema 4).
/// </summary>
public sealed class BackendPoolTests : IAsyncLifetime
{
    private const string Listener = "127.0.0.1:0";
    private const string L4Host = "tcp.example.test";
    private const string L7Host = "web.example.test";
    private const string DeadL4Host = "dead.example.test";
    private const string DeadL7Host = "deadweb.example.test";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly TestCertificates _certs = new();
    private readonly List<ServerProcess> _servers = [];
    private readonly List<IAsyncDisposable> _backends = [];
    private string _directory = null!;
    private (string Cert, string Key) _pem;

    private string SocketPath => Path.Combine(_directory, "admin.sock");

    private string ConfigPath => Path.Combine(_directory, "mc-proxy.toml");

    private string DatabasePath => Path.Combine(_directory, "mc-proxy.db");

    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    // The ctl's own build output (same configuration and framework as the tests), not the copy beside the tests:
    // that one would load the tests' newer versions of the libraries it shares with them.
    private static string CtlDll
    {
        get
        {
            var framework = new DirectoryInfo(AppContext.BaseDirectory);
            return RepositoryPaths.Get("src", "McProxyCtl", "bin", framework.Parent!.Name, framework.Name, "mcproxyctl.dll");
        }
    }

    public Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _pem = PemFiles.Write(_certs.IssueServer(L7Host, DeadL7Host), _directory, "web");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }

        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        _certs.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    // ---- 1. Balancing ----

    [Fact]
    public async Task RoundRobin_300L4Connections_And300L7Requests_SpreadWithinTenPercentEach()
    {
        var tcp = Tcp("a", "b", "c");
        var http = await HttpAsync("A", "B", "C");
        var endPoint = await StartServerAsync($"""
            {L4Route(L4Host, tcp.Select(b => b.Address), "round_robin")}
            {L7Route(L7Host, http.Select(b => b.Address), "round_robin")}
            """);

        var names = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            names.Add(await ConnectOnceAsync(endPoint, L4Host));
        }

        AssertSpread(names, ["a", "b", "c"], 300);

        // L7: 300 requests over one keep-alive HTTP/1.1 connection; the member is chosen per request.
        using var client = L7TestClient.Create(endPoint, _certs, HttpVersion.Version11);
        var answers = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            answers.Add(await client.GetStringAsync(L7TestClient.Url(L7Host, endPoint, "/who")));
        }

        AssertSpread(answers, ["A", "B", "C"], 300);
        Assert.Equal(300, http.Sum(b => b.Traffic));
    }

    [Fact]
    public async Task LeastConnections_SendsNewConnectionsToTheIdleBackends_WhileOneHoldsLongOnes()
    {
        var tcp = Tcp("a", "b", "c");
        var endPoint = await StartServerAsync(L4Route(L4Host, tcp.Select(b => b.Address), "least_connections"));

        // Three long connections on a: the others drained while they open, then enabled again.
        await CtlAsync("backends", "drain", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[1].Address);
        await CtlAsync("backends", "drain", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[2].Address);
        var held = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var (socket, backend) = await OpenAsync(endPoint, L4Host);
            Assert.Equal("a", backend);
            held.Add(socket);
        }

        await CtlAsync("backends", "enable", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[1].Address);
        await CtlAsync("backends", "enable", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[2].Address);

        var names = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            names.Add(await ConnectOnceAsync(endPoint, L4Host));
            // Its end at the proxy (the lease released, then the access line) before the next: under load, short
            // connections still closing would otherwise pile up on b and c past a's three.
            var ended = i + 1;
            await WaitUntilAsync(() => Task.FromResult(AccessLines().Count >= ended));
        }

        Assert.DoesNotContain("a", names);
        Assert.Contains("b", names);
        Assert.Contains("c", names);
        held.ForEach(Close);
        await WaitForBackendAsync(L4Host, tcp[0].Address, b => Active(b) == 0);
    }

    [Fact]
    public async Task First_UsesTheStandbyOnlyWhileTheFirstIsDown()
    {
        var tcp = Tcp("primary", "standby");
        var endPoint = await StartServerAsync(L4Route(L4Host, tcp.Select(b => b.Address), "first", "tcp"), """
            health_interval = "200ms"
            health_rise = 2
            health_fall = 2
            """);
        Assert.All(await ConnectManyAsync(endPoint, 10), n => Assert.Equal("primary", n));

        await tcp[0].StopAsync();
        await WaitForBackendAsync(L4Host, tcp[0].Address, b => !Healthy(b));
        Assert.All(await ConnectManyAsync(endPoint, 10), n => Assert.Equal("standby", n));

        tcp[0].Start();
        await WaitForBackendAsync(L4Host, tcp[0].Address, Healthy);
        Assert.All(await ConnectManyAsync(endPoint, 10), n => Assert.Equal("primary", n));
    }

    // ---- 2. Failover with active checks ----

    [Fact]
    public async Task ActiveChecks_TakeAStoppedBackendOut_NothingReachesIt_AndItComesBackAfterRise()
    {
        var tcp = Tcp("a", "b", "c");
        var http = await HttpAsync("A", "B", "C");
        var endPoint = await StartServerAsync(
            $"""
            {L4Route(L4Host, tcp.Select(b => b.Address), "round_robin", "tcp")}
            {L7Route(L7Host, http.Select(b => b.Address), "round_robin", "http:/healthz")}
            """,
            """
            health_interval = "200ms"
            health_rise = 2
            health_fall = 2
            """);
        using var client = L7TestClient.Create(endPoint, _certs, HttpVersion.Version11);

        await tcp[1].StopAsync();
        await http[1].StopAsync();
        await WaitForBackendAsync(L4Host, tcp[1].Address, b => !Healthy(b));
        await WaitForBackendAsync(L7Host, http[1].Address, b => !Healthy(b));
        var list = await CtlAsync("backends", "list", "--listener", Listener, "--hostname", L4Host);
        Assert.Matches($@"\n{Regex(tcp[1].Address)}\s+enabled\s+down\s", list);
        Assert.Contains(Server.StdoutLines, l => l.Contains("\"EventId\":700,", StringComparison.Ordinal) && l.Contains(tcp[1].Address, StringComparison.Ordinal));

        // A member marked down is not even dialled: every connection succeeds without a failed connect to it
        // (a dial would be retried on the next member and succeed too, but count on the down one).
        var failedL4 = await FailedConnectsAsync(L4Host, tcp[1].Address);
        var failedL7 = await FailedConnectsAsync(L7Host, http[1].Address);
        var names = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            names.Add(await ConnectOnceAsync(endPoint, L4Host));
        }

        Assert.All(names, n => Assert.Contains(n, new[] { "a", "c" }));
        var trafficB = http[1].Traffic;
        for (var i = 0; i < 100; i++)
        {
            Assert.Contains(await client.GetStringAsync(L7TestClient.Url(L7Host, endPoint, "/who")), new[] { "A", "C" });
        }

        Assert.Equal(trafficB, http[1].Traffic);
        Assert.Equal(failedL4, await FailedConnectsAsync(L4Host, tcp[1].Address));
        Assert.Equal(failedL7, await FailedConnectsAsync(L7Host, http[1].Address));

        // Back on the same port: up after health_rise passed checks, and in the rotation again.
        tcp[1].Start();
        await http[1].StartAsync();
        await WaitForBackendAsync(L4Host, tcp[1].Address, Healthy);
        await WaitForBackendAsync(L7Host, http[1].Address, Healthy);
        Assert.Contains(Server.StdoutLines, l => l.Contains("\"EventId\":701,", StringComparison.Ordinal) && l.Contains(http[1].Address, StringComparison.Ordinal));
        var again = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            again.Add(await ConnectOnceAsync(endPoint, L4Host));
            await client.GetStringAsync(L7TestClient.Url(L7Host, endPoint, "/who"));
        }

        Assert.Contains("b", again);
        Assert.InRange(http[1].Traffic - trafficB, 5, 30);

        // An HTTP check answered 500 takes a running backend out just the same, and a 200 brings it back.
        http[2].HealthStatus = StatusCodes.Status500InternalServerError;
        await WaitForBackendAsync(L7Host, http[2].Address, b => !Healthy(b));
        var trafficC = http[2].Traffic;
        for (var i = 0; i < 100; i++)
        {
            Assert.Contains(await client.GetStringAsync(L7TestClient.Url(L7Host, endPoint, "/who")), new[] { "A", "B" });
        }

        Assert.Equal(trafficC, http[2].Traffic);
        http[2].HealthStatus = StatusCodes.Status200OK;
        await WaitForBackendAsync(L7Host, http[2].Address, Healthy);
    }

    // ---- 3. A dead member without checks: retried past ----

    [Fact]
    public async Task DeadMember_WithoutChecks_500L4ConnectionsAnd500L7Requests_AllSucceed()
    {
        var tcp = Tcp("a", "c");
        var http = await HttpAsync("A", "C");
        var dead = ClosedPort();
        var endPoint = await StartServerAsync($"""
            {L4Route(L4Host, [tcp[0].Address, dead, tcp[1].Address], "round_robin", "none")}
            {L7Route(L7Host, [http[0].Address, dead, http[1].Address], "round_robin", "none")}
            """);

        var names = new List<string>();
        for (var round = 0; round < 50; round++)
        {
            names.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => ConnectOnceAsync(endPoint, L4Host))));
        }

        Assert.Equal(500, names.Count);
        Assert.All(names, n => Assert.Contains(n, new[] { "a", "c" }));

        using var client = L7TestClient.Create(endPoint, _certs, HttpVersion.Version11);
        for (var i = 0; i < 500; i++)
        {
            using var response = await client.GetAsync(L7TestClient.Url(L7Host, endPoint, "/who"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(500, http.Sum(b => b.Traffic));
        await WaitUntilAsync(() => Task.FromResult(AccessLines().Count(a => Field(a, "Sni") == L4Host && Field(a, "Outcome") == "ok") == 500));
        Assert.DoesNotContain(AccessLines(), a => Field(a, "Sni") == L4Host && Field(a, "Outcome") != "ok");

        // Tried about once a round, never marked down (health_check = "none" judges nothing).
        Assert.True(Healthy((await BackendsAsync(L4Host)).Single(b => Field(b, "address") == dead)));
        Assert.InRange(await FailedConnectsAsync(L4Host, dead), 100, 500);
        Assert.InRange(await FailedConnectsAsync(L7Host, dead), 100, 500);
    }

    // ---- 4. Nothing usable ----

    [Fact]
    public async Task NothingUsable_DownByChecks_IsNoBackendAnd503_AllDeadWithoutChecks_IsBackendUnreachableAnd502()
    {
        var tcp = Tcp("a", "b");
        var http = await HttpAsync("A", "B");
        var endPoint = await StartServerAsync(
            $"""
            {L4Route(L4Host, tcp.Select(b => b.Address), "round_robin", "tcp")}
            {L7Route(L7Host, http.Select(b => b.Address), "round_robin", "http:/healthz")}
            {L4Route(DeadL4Host, [ClosedPort(), ClosedPort()], "round_robin", "none")}
            {L7Route(DeadL7Host, [ClosedPort(), ClosedPort()], "round_robin", "none")}
            """,
            """
            health_interval = "200ms"
            health_rise = 2
            health_fall = 2
            """);
        foreach (var backend in tcp)
        {
            await backend.StopAsync();
        }

        foreach (var backend in http)
        {
            await backend.StopAsync();
        }

        foreach (var address in tcp.Select(b => b.Address))
        {
            await WaitForBackendAsync(L4Host, address, b => !Healthy(b));
        }

        foreach (var address in http.Select(b => b.Address))
        {
            await WaitForBackendAsync(L7Host, address, b => !Healthy(b));
        }

        // ARCHITECTURE "Backend pools": nothing usable at the first pick closes the L4 connection as no_backend and
        // answers an L7 request 503 (its access line no_backend) ...
        Assert.Equal(0, (await RawClient.SendAndReadEndAsync(endPoint, ClientHelloBuilder.Build(L4Host))).Received);
        using var client = L7TestClient.Create(endPoint, _certs, HttpVersion.Version11);
        using (var response = await client.GetAsync(L7TestClient.Url(L7Host, endPoint, "/who")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        // ... while members that are usable but all refuse (no checks to judge them) were tried: backend_unreachable, 502.
        Assert.Equal(0, (await RawClient.SendAndReadEndAsync(endPoint, ClientHelloBuilder.Build(DeadL4Host))).Received);
        using (var response = await client.GetAsync(L7TestClient.Url(DeadL7Host, endPoint, "/who")))
        {
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        await WaitUntilAsync(() => Task.FromResult(AccessLines().Any(a => Field(a, "Sni") == DeadL4Host) && AccessLines().Any(a => Field(a, "Route") == DeadL7Host)),
            () => string.Join("\n", Server.StdoutLines.Where(l => l.Contains("McProxy.Access", StringComparison.Ordinal))));
        var l4 = AccessLines().Single(a => Field(a, "Sni") == L4Host);
        Assert.Equal("no_backend", Field(l4, "Outcome"));
        Assert.Contains("down", Field(l4, "Detail"), StringComparison.Ordinal);
        var l7 = AccessLines().Single(a => Field(a, "Route") == L7Host);
        Assert.Equal(("503", "no_backend"), (Field(l7, "Status"), Field(l7, "Outcome")));
        Assert.Equal("backend_unreachable", Field(AccessLines().Single(a => Field(a, "Sni") == DeadL4Host), "Outcome"));
        var dead7 = AccessLines().Single(a => Field(a, "Route") == DeadL7Host);
        Assert.Equal(("502", "backend_error"), (Field(dead7, "Status"), Field(dead7, "Outcome")));
    }

    // ---- 5. Drain and disable through mcproxyctl ----

    [Fact]
    public async Task Drain_LetsALongL4StreamAndASlowL7RequestFinishIntact_SendsNothingNew_AndEnableBringsTrafficBack()
    {
        var tcp = Tcp("a", "b", "c");
        var http = await HttpAsync("A", "B", "C");
        var endPoint = await StartServerAsync($"""
            {L4Route(L4Host, tcp.Select(b => b.Address), "round_robin")}
            {L7Route(L7Host, http.Select(b => b.Address), "round_robin")}
            """);

        // A long L4 stream on b, bytes flowing both ways.
        var stream = await OpenOnAsync(endPoint, "b");
        await ReadExactlyAsync(stream, Hello(L4Host).Length);
        var chunk = HttpTestBackend.Pattern(64 * 1024);
        await EchoAsync(stream, chunk);

        // A slow L7 request held by B (round robin: at most three tries to land one there).
        using var slowClient = L7TestClient.Create(endPoint, _certs, HttpVersion.Version11);
        var slow = new List<Task<byte[]>>();
        while (http[1].SlowStarted == 0)
        {
            Assert.True(slow.Count < 3, "round robin never reached B");
            slow.Add(slowClient.GetByteArrayAsync(L7TestClient.Url(L7Host, endPoint, "/slow")));
            await WaitUntilAsync(() => Task.FromResult(http.Sum(b => b.SlowStarted) == slow.Count));
        }

        Assert.Equal($"backend {tcp[1].Address} of {L4Host} ({Listener}): drain, up, 1 active\n",
            await CtlAsync("backends", "drain", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[1].Address));
        Assert.Equal($"backend {http[1].Address} of {L7Host} ({Listener}): drain, up, 1 active\n",
            await CtlAsync("backends", "drain", "--listener", Listener, "--hostname", L7Host, "--backend", http[1].Address));

        // Nothing new goes to the drained members.
        using var client = L7TestClient.Create(endPoint, _certs, HttpVersion.Version11);
        var trafficB = http[1].Traffic;
        var names = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            names.Add(await ConnectOnceAsync(endPoint, L4Host));
            Assert.Contains(await client.GetStringAsync(L7TestClient.Url(L7Host, endPoint, "/who")), new[] { "A", "C" });
        }

        Assert.All(names, n => Assert.Contains(n, new[] { "a", "c" }));
        Assert.Equal(trafficB, http[1].Traffic);
        Assert.Matches($@"\n{Regex(tcp[1].Address)}\s+drain\s+up\s+1\s", await CtlAsync("backends", "list", "--listener", Listener, "--hostname", L4Host));

        // The stream goes on, intact, until its client ends it; then the drained member's count falls to 0.
        for (var i = 0; i < 8; i++)
        {
            await EchoAsync(stream, chunk);
        }

        Close(stream);
        await WaitForBackendAsync(L4Host, tcp[1].Address, b => Active(b) == 0);

        // The slow request completes with its whole body, from B.
        foreach (var backend in http)
        {
            backend.ReleaseSlow();
        }

        var bodies = await Task.WhenAll(slow);
        var fromB = Assert.Single(bodies, b => b[0] == (byte)'B');
        Assert.Equal(Encoding.ASCII.GetBytes("B\n").Concat(HttpTestBackend.Pattern(NamedHttpBackend.SlowBodyBytes)), fromB);
        await WaitForBackendAsync(L7Host, http[1].Address, b => Active(b) == 0);

        // enable: back in the rotation.
        await CtlAsync("backends", "enable", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[1].Address);
        await CtlAsync("backends", "enable", "--listener", Listener, "--hostname", L7Host, "--backend", http[1].Address);
        var again = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            again.Add(await ConnectOnceAsync(endPoint, L4Host));
            again.Add(await client.GetStringAsync(L7TestClient.Url(L7Host, endPoint, "/who")));
        }

        Assert.Contains("b", again);
        Assert.Contains("B", again);
    }

    [Fact]
    public async Task Disable_LeavesAnOpenConnectionBe_AndSendsNothingNew()
    {
        var tcp = Tcp("a", "b", "c");
        var endPoint = await StartServerAsync(L4Route(L4Host, tcp.Select(b => b.Address), "round_robin"));
        var stream = await OpenOnAsync(endPoint, "b");
        await ReadExactlyAsync(stream, Hello(L4Host).Length);

        Assert.Equal($"backend {tcp[1].Address} of {L4Host} ({Listener}): disabled, up, 1 active\n",
            await CtlAsync("backends", "disable", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[1].Address));

        var names = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            names.Add(await ConnectOnceAsync(endPoint, L4Host));
        }

        Assert.All(names, n => Assert.Contains(n, new[] { "a", "c" }));
        await EchoAsync(stream, HttpTestBackend.Pattern(64 * 1024));
        Close(stream);
        await WaitForBackendAsync(L4Host, tcp[1].Address, b => Active(b) == 0 && Field(b, "admin_state") == "disabled");
    }

    // ---- 6. Persistence ----

    [Fact]
    public async Task PoolAndAdminStates_SetByMcproxyctl_SurviveSigterm_AndSigkillRightAfterTheAcknowledgement()
    {
        var tcp = Tcp("a", "b", "c");
        var endPoint = await StartServerAsync(L4Route("seed.example.test", [tcp[2].Address], "least_connections"));
        Assert.Equal($"route {L4Host} on {Listener}: l4 to {tcp[0].Address}, {tcp[1].Address}, {tcp[2].Address} (first, health check tcp)\n",
            await CtlAsync("routes", "add", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[0].Address, "--backend", tcp[1].Address, "--backend", tcp[2].Address, "--balance", "first"));
        await CtlAsync("backends", "drain", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[1].Address);
        Assert.Equal("a", await ConnectOnceAsync(endPoint, L4Host));

        Assert.Equal(0, await Server.TerminateAsync());
        endPoint = await StartServerAsync(null);
        await AssertPoolAsync(L4Host, "first", [(tcp[0].Address, "enabled"), (tcp[1].Address, "drain"), (tcp[2].Address, "enabled")]);
        Assert.Equal("a", await ConnectOnceAsync(endPoint, L4Host));

        // SIGKILL as soon as mcproxyctl returned: what it acknowledged is on disk.
        await CtlAsync("backends", "disable", "--listener", Listener, "--hostname", L4Host, "--backend", tcp[2].Address);
        await CtlAsync("routes", "add", "--listener", Listener, "--hostname", "late.example.test", "--backend", tcp[2].Address, "--backend", tcp[0].Address, "--balance", "round_robin");
        await CtlAsync("backends", "disable", "--listener", Listener, "--hostname", "late.example.test", "--backend", tcp[2].Address);
        var killed = Server;
        _servers.Remove(killed);
        killed.Dispose();

        endPoint = await StartServerAsync(null);
        await AssertPoolAsync(L4Host, "first", [(tcp[0].Address, "enabled"), (tcp[1].Address, "drain"), (tcp[2].Address, "disabled")]);
        await AssertPoolAsync("late.example.test", "round_robin", [(tcp[2].Address, "disabled"), (tcp[0].Address, "enabled")]);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("a", await ConnectOnceAsync(endPoint, "late.example.test"));
        }
    }

    [Fact]
    public async Task Migration5_UpgradesADatabaseOfThePreviousBuild_AndItsRoutesPoliciesAndBackendsServe()
    {
        var tcp = Tcp("a");
        var http = await HttpAsync("A");
        // The database as the build before pools left it: migrations 1-4 only, with an l4 route, an l7 route and its policy.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            Sql(connection, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));");
            foreach (var (version, name, sql) in Migrations.All.Where(m => m.Version <= 4))
            {
                Sql(connection, sql);
                Sql(connection, $"INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}')");
            }

            Sql(connection, $"""
                INSERT INTO listeners (id, addr) VALUES (1, '{Listener}');
                INSERT INTO routes (id, listener_id, hostname, backend) VALUES (1, 1, '{L4Host}', '{tcp[0].Address}');
                INSERT INTO routes (id, listener_id, hostname, backend, mode, tls_cert, tls_key) VALUES (2, 1, '{L7Host}', '{http[0].Address}', 'l7', '{_pem.Cert}', '{_pem.Key}');
                INSERT INTO l7_policies (route_id, type, value) VALUES (2, 'require_header', 'X-Api-Key');
                """);
        }

        // The config's own route is ignored: the database holds a listener.
        var endPoint = await StartServerAsync(L4Route("config.example.test", [tcp[0].Address], "least_connections"));

        var routes = await CtlJsonAsync("routes", "list");
        Assert.Equal([L4Host, L7Host], routes.GetProperty("routes").EnumerateArray().Select(r => Field(r, "hostname")));
        await AssertPoolAsync(L4Host, "least_connections", [(tcp[0].Address, "enabled")]);
        await AssertPoolAsync(L7Host, "least_connections", [(http[0].Address, "enabled")]);
        var l7 = routes.GetProperty("routes")[1];
        Assert.Equal(("l7", "none"), (Field(l7, "mode"), Field(l7, "health_check")));
        var policy = Assert.Single(l7.GetProperty("l7_policies").EnumerateArray());
        Assert.Equal(("require_header", "X-Api-Key"), (Field(policy, "type"), Field(policy, "value")));

        Assert.Equal("a", await ConnectOnceAsync(endPoint, L4Host));
        using var client = L7TestClient.Create(endPoint, _certs, HttpVersion.Version11);
        using (var refused = await client.GetAsync(L7TestClient.Url(L7Host, endPoint, "/who")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, L7TestClient.Url(L7Host, endPoint, "/who"));
        request.Headers.Add("X-Api-Key", "k");
        using var served = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("A", await served.Content.ReadAsStringAsync());

        using var check = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        check.Open();
        using var schema = check.CreateCommand();
        schema.CommandText = "SELECT MAX(version) FROM schema_migrations";
        Assert.Equal(5L, schema.ExecuteScalar());
    }

    // ---- the server, the ctl and the backends ----

    private ServerProcess Server => _servers[^1];

    /// <summary>
    /// Writes the config (unless <paramref name="routes"/> is null: a restart on the same file and database), starts
    /// `mc-proxy server` on it and returns the listener's bound address once the admin socket answers too.
    /// </summary>
    private async Task<IPEndPoint> StartServerAsync(string? routes, string proxy = "")
    {
        if (routes is not null)
        {
            await File.WriteAllTextAsync(ConfigPath, $"""
                [database]
                path = "{DatabasePath}"
                [grpc]
                addr = "unix:{SocketPath}"
                [proxy]
                {proxy}
                [[listeners]]
                addr = "{Listener}"
                {routes}
                """);
        }

        var server = ServerProcess.Start("server", "-c", ConfigPath);
        _servers.Add(server);
        var listening = await server.WaitForLineAsync(l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(listening);
        var endPoint = IPEndPoint.Parse(document.RootElement.GetProperty("State").GetProperty("EndPoint").GetString()!);
        await WaitUntilAsync(async () => (await CtlRun.RunAsync("--socket", SocketPath, "status")).ExitCode == 0);
        return endPoint;
    }

    private static string L4Route(string hostname, IEnumerable<string> backends, string balance, string? check = null) => $"""
          [[listeners.routes]]
          hostname = "{hostname}"
          backends = [{string.Join(", ", backends.Select(b => $"\"{b}\""))}]
          balance = "{balance}"
        {(check is null ? "" : $"  health_check = \"{check}\"")}
        """;

    private string L7Route(string hostname, IEnumerable<string> backends, string balance, string? check = null) => $"""
        {L4Route(hostname, backends, balance, check)}
          mode = "l7"
          tls_cert = "{_pem.Cert}"
          tls_key = "{_pem.Key}"
        """;

    /// <summary>The mcproxyctl executable, as an operator runs it, on the admin socket; fails the test unless it exits 0.</summary>
    private async Task<string> CtlAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(DotnetHost, [CtlDll, "--socket", SocketPath, .. args]);
        Assert.True(result.ExitCode == 0, $"mcproxyctl {string.Join(' ', args)}: {result}");
        return result.Stdout;
    }

    private async Task<JsonElement> CtlJsonAsync(params string[] args)
    {
        using var document = JsonDocument.Parse(await CtlAsync(["--json", .. args]));
        return document.RootElement.Clone();
    }

    /// <summary>The route's `backend_status` rows, read by mcproxyctl in-process (the same code, cheaper to poll).</summary>
    private async Task<List<JsonElement>> BackendsAsync(string hostname)
    {
        var run = await CtlRun.RunAsync("--socket", SocketPath, "--json", "backends", "list", "--listener", Listener, "--hostname", hostname);
        Assert.True(run.ExitCode == 0, run.Error);
        using var document = JsonDocument.Parse(run.Out);
        return [.. document.RootElement.GetProperty("backend_status").EnumerateArray().Select(b => b.Clone())];
    }

    private Task WaitForBackendAsync(string hostname, string address, Func<JsonElement, bool> condition)
        => WaitUntilAsync(async () => (await BackendsAsync(hostname)).Any(b => Field(b, "address") == address && condition(b)));

    /// <summary>The route's balance and its pool in order with each member's admin state, as `mcproxyctl --json backends list` shows them.</summary>
    private async Task AssertPoolAsync(string hostname, string balance, (string Address, string State)[] expected)
    {
        var route = await CtlJsonAsync("backends", "list", "--listener", Listener, "--hostname", hostname);
        Assert.Equal(balance, Field(route, "balance"));
        Assert.Equal(expected.Select(e => e.Address), route.GetProperty("backends").EnumerateArray().Select(b => b.GetString()));
        Assert.Equal(expected, route.GetProperty("backend_status").EnumerateArray().Select(b => (Field(b, "address")!, Field(b, "admin_state")!)));
    }

    private async Task<long> FailedConnectsAsync(string hostname, string address)
        => long.Parse(Field((await BackendsAsync(hostname)).Single(b => Field(b, "address") == address), "failed_connects")!, System.Globalization.CultureInfo.InvariantCulture);

    private static bool Healthy(JsonElement backend) => backend.GetProperty("healthy").GetBoolean();

    private static long Active(JsonElement backend) => long.Parse(Field(backend, "active_connections")!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A JSON value as text: a string's value, anything else as written (protobuf's JSON writes int64 as a string).</summary>
    private static string? Field(JsonElement element, string name)
        => !element.TryGetProperty(name, out var value) ? null : value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();

    /// <summary>The <c>State</c> of every access line the server wrote so far.</summary>
    private List<JsonElement> AccessLines()
    {
        var lines = new List<JsonElement>();
        foreach (var line in Server.StdoutLines.Where(l => l.StartsWith('{') && l.Contains("\"McProxy.Access\"", StringComparison.Ordinal)))
        {
            using var document = JsonDocument.Parse(line);
            lines.Add(document.RootElement.GetProperty("State").Clone());
        }

        return lines;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; after the deadline fails with <paramref name="what"/>'s account.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string>? what = null)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met within " + Deadline + (what is null ? "" : ": " + what()));
            }

            // A short poll interval; the deadline, not the delay, bounds the wait.
            await Task.Delay(50);
        }
    }

    private NamedTcpBackend[] Tcp(params string[] names)
    {
        var backends = names.Select(n => new NamedTcpBackend(n)).ToArray();
        _backends.AddRange(backends);
        return backends;
    }

    private async Task<NamedHttpBackend[]> HttpAsync(params string[] names)
    {
        var backends = new NamedHttpBackend[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            backends[i] = await NamedHttpBackend.StartAsync(names[i]);
            _backends.Add(backends[i]);
        }

        return backends;
    }

    private static void AssertSpread(List<string> names, string[] expected, int total)
    {
        var counts = names.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected, counts.Keys.Order());
        Assert.All(counts.Values, count => Assert.InRange(count, total / expected.Length * 9 / 10, total / expected.Length * 11 / 10));
    }

    private static byte[] Hello(string hostname) => ClientHelloBuilder.Build(hostname);

    /// <summary>A client that has sent its ClientHello and read the backend's name ("" when the proxy closed it instead).</summary>
    private static async Task<(Socket Socket, string Backend)> OpenAsync(IPEndPoint endPoint, string hostname)
    {
        var socket = await RawClient.ConnectAsync(endPoint);
        await socket.SendAsync(Hello(hostname), SocketFlags.None);
        var line = new StringBuilder();
        var one = new byte[1];
        using var deadline = new CancellationTokenSource(Deadline);
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

    private static async Task<List<string>> ConnectManyAsync(IPEndPoint endPoint, int count)
    {
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            names.Add(await ConnectOnceAsync(endPoint, L4Host));
        }

        return names;
    }

    private static async Task<string> ConnectOnceAsync(IPEndPoint endPoint, string hostname)
    {
        var (socket, backend) = await OpenAsync(endPoint, hostname);
        Close(socket);
        return backend;
    }

    /// <summary>An open L4 connection on the backend named <paramref name="name"/> (round robin: within a few tries).</summary>
    private static async Task<Socket> OpenOnAsync(IPEndPoint endPoint, string name)
    {
        for (var i = 0; i < 6; i++)
        {
            var (socket, backend) = await OpenAsync(endPoint, L4Host);
            if (backend == name)
            {
                return socket;
            }

            Close(socket);
        }

        throw new InvalidOperationException($"no connection reached {name}");
    }

    private static async Task EchoAsync(Socket socket, byte[] bytes)
    {
        var reading = ReadExactlyAsync(socket, bytes.Length);
        await socket.SendAsync(bytes, SocketFlags.None);
        Assert.Equal(bytes, await reading);
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var deadline = new CancellationTokenSource(Deadline);
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        return buffer;
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

    /// <summary>An address nothing listens on: a connect to it is refused.</summary>
    private static string ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return $"127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}";
    }

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    private static void Sql(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
