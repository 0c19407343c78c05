using System.Net.Sockets;
using McProxy.Cli;
using McProxy.Client;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>Starting, restarting, limits, idle connections and the drain on stop.</summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Fact]
    public async Task ServerCommand_InvalidConfig_ListsEveryErrorAndLeavesNoDatabase()
    {
        var directory = TestProxy.CreateTempDirectory();
        var configPath = Path.Combine(directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(configPath, """
            [database]
            path = "mc-proxy.db"
            [[listeners]]
            addr = "127.0.0.1:notaport"
            default_route = "missing.example.test"
              [[listeners.routes]]
              hostname = "a.example.test"
              backend = "127.0.0.1:8080"
              colour = "blue"
              [[listeners.routes]]
              hostname = "b.example.test"
              backend = "127.0.0.1:8081"
              mode = "l7"
            [proxy]
            idle_timeout = "soon"
            """);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = await McProxyCli.RunAsync(["server", "-c", configPath], stdout, stderr, CancellationToken.None);

        Assert.Equal(ExitCodes.BadConfig, exit);
        var errors = stderr.ToString();
        Assert.Contains("6 configuration error(s)", errors, StringComparison.Ordinal);
        Assert.Contains("listeners[0] (127.0.0.1:notaport).addr:", errors, StringComparison.Ordinal);
        Assert.Contains("listeners[0] (127.0.0.1:notaport).default_route:", errors, StringComparison.Ordinal);
        Assert.Contains("routes[0] (a.example.test).colour: unknown key", errors, StringComparison.Ordinal);
        Assert.Contains("routes[1] (b.example.test).tls_cert: is required", errors, StringComparison.Ordinal);
        Assert.Contains("routes[1] (b.example.test).tls_key: is required", errors, StringComparison.Ordinal);
        Assert.Contains("proxy.idle_timeout:", errors, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory, "mc-proxy.db")));
    }

    [Fact]
    public async Task ServerCommand_StopRequested_ServesThenExitsCleanly()
    {
        await using var backend = new TlsBackend("cli", _certs.IssueServer("cli.example.test"));
        var directory = TestProxy.CreateTempDirectory();
        var port = PeerProcess.FreePort();
        var configPath = Path.Combine(directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(configPath, $"""
            [database]
            path = "mc-proxy.db"
            [[listeners]]
            addr = "127.0.0.1:{port}"
              [[listeners.routes]]
              hostname = "cli.example.test"
              backend = "{backend.Address}"
            [log]
            level = "warn"
            """);
        using var stop = new CancellationTokenSource();

        var run = McProxyCli.RunAsync(["server", "-c", configPath], TextWriter.Null, TextWriter.Null, stop.Token);
        var client = await ConnectWithRetryAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), "cli.example.test");
        Assert.StartsWith("hello from cli", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
        await client.CloseGracefullyAsync();
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Success, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(File.Exists(Path.Combine(directory, "mc-proxy.db")));
    }

    [Fact]
    public async Task Restart_WithEditedConfig_KeepsTheDatabaseRoutes()
    {
        await using var first = new TlsBackend("first", _certs.IssueServer("app.example.test"));
        await using var second = new TlsBackend("second", _certs.IssueServer("app.example.test"));
        var directory = TestProxy.CreateTempDirectory();
        string Config(string backend) => $"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "app.example.test"
              backend = "{backend}"
            """;

        await using (var proxy = await TestProxy.StartAsync(Config(first.Address), directory))
        {
            await AssertRoutedToAsync(proxy, "app.example.test", "first");
        }

        // The operator edits the config; the database, seeded on the first start, stays the source of truth.
        await using (var proxy = await TestProxy.StartAsync(Config(second.Address), directory))
        {
            await AssertRoutedToAsync(proxy, "app.example.test", "first");
            Assert.Contains(proxy.Log.Entries, e => e.EventId == 102);
            Assert.Equal(first.Address, Assert.Single(proxy.Server.Store.Routes.List()).Route.Backend);
        }
    }

    [Fact]
    public async Task IdleConnection_IsClosedAtIdleTimeout_WhileActiveOnesAreNot()
    {
        await using var backend = new TlsBackend("idle", _certs.IssueServer("idle.example.test"));
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "idle.example.test"
              backend = "{backend.Address}"
            [proxy]
            idle_timeout = "2s"
            """);
        await using var idle = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "idle.example.test", _certs);
        await using var busy = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "idle.example.test", _certs);
        await idle.ReadUntilAsync("\n");
        await busy.ReadUntilAsync("\n");

        // Keep one connection busy for three idle timeouts (a tick every 200 ms leaves a loaded machine ten times
        // the slack it needs): it must survive while the other is closed.
        var closed = idle.Tls.ReadAsync(new byte[1]).AsTask();
        for (var i = 0; i < 30; i++)
        {
            await busy.WriteAsync($"tick{i}\n");
            await busy.ReadUntilAsync($"tick{i}\n");
            await Task.Delay(200);
        }

        await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(closed.IsCompleted, "the idle connection was not closed");
        await proxy.Log.WaitForAccessAsync("idle_timeout");
        await busy.WriteAsync("still-here\n");
        await busy.ReadUntilAsync("still-here\n");
    }

    [Fact]
    public async Task ListenerMaxConnections_ExtraConnectionIsReset_AndCapacityReturnsWhenOneCloses()
    {
        await using var backend = new TlsBackend("limited", _certs.IssueServer("limited.example.test"));
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
            max_connections = 2
              [[listeners.routes]]
              hostname = "limited.example.test"
              backend = "{backend.Address}"
            """);
        var one = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "limited.example.test", _certs);
        await using var two = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "limited.example.test", _certs);
        await one.ReadUntilAsync("\n");
        await two.ReadUntilAsync("\n");

        // The reset can beat the connect call's return: SendAndReadEndAsync counts it wherever it shows.
        Assert.Equal(("reset", 0), await RawClient.SendAndReadEndAsync(proxy.EndPoint(), []));

        await proxy.Log.WaitForAccessAsync("limit");
        await one.CloseGracefullyAsync();
        await proxy.Log.WaitForAccessAsync("ok");
        await using var fourth = await TlsTestClient.ConnectAsync(proxy.EndPoint(), "limited.example.test", _certs);
        Assert.StartsWith("hello from limited", await fourth.ReadUntilAsync("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_WaitsForOpenConnections_ThenClosesThemAtShutdownTimeout()
    {
        await using var backend = new TlsBackend("drain", _certs.IssueServer("drain.example.test"));
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "drain.example.test"
              backend = "{backend.Address}"
            [proxy]
            shutdown_timeout = "2s"
            """);
        var endPoint = proxy.EndPoint();
        await using var client = await TlsTestClient.ConnectAsync(endPoint, "drain.example.test", _certs);
        await client.ReadUntilAsync("\n");

        var stop = proxy.StopAsync();

        // New connections are refused at once, while the open one keeps flowing during the drain.
        await Assert.ThrowsAnyAsync<SocketException>(async () => await RawClient.ConnectAsync(endPoint));
        await client.WriteAsync("during-drain\n");
        Assert.Contains("during-drain\n", await client.ReadUntilAsync("during-drain\n"), StringComparison.Ordinal);
        Assert.False(stop.IsCompleted);
        await stop.WaitAsync(TimeSpan.FromSeconds(20));
        await proxy.Log.WaitForAccessAsync("shutdown");
    }

    private async Task AssertRoutedToAsync(TestProxy proxy, string serverName, string backendName)
    {
        var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), serverName, _certs);
        Assert.StartsWith($"hello from {backendName}", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
        await client.CloseGracefullyAsync();
    }

    private async Task<TlsTestClient> ConnectWithRetryAsync(System.Net.IPEndPoint endPoint, string serverName)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await TlsTestClient.ConnectAsync(endPoint, serverName, _certs);
            }
            catch (SocketException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }
}
