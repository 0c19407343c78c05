using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using McProxy.Client;
using McProxy.Tests.TestInfrastructure;
using Microsoft.Data.Sqlite;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Tests.Admin;

/// <summary>
/// The real `mc-proxy server` process, killed with SIGKILL while clients stream mutations at it: on restart every
/// acknowledged change is there and the database passes its integrity check.
/// </summary>
public sealed class CrashRecoveryTests
{
    private const string Body = """
        [grpc]
        addr = "unix:admin.sock"

        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "seed.example.test"
          backend = "127.0.0.1:9"
        """;

    [Fact]
    public async Task Server_KilledMidStreamOfMutations_RestartsWithEveryAcknowledgedChange()
    {
        var directory = TestProxy.CreateTempDirectory();
        var configPath = Path.Combine(directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(configPath, "[database]\npath = \"mc-proxy.db\"\n" + Body);
        var socket = Path.Combine(directory, "admin.sock");

        var acknowledgedRoutes = new ConcurrentBag<string>();
        var acknowledgedRules = new ConcurrentBag<string>();
        using (var server = StartServer(configPath))
        {
            using var client = McProxyClient.ForUnixSocket(socket);
            using var killOnFailure = new ProcessKiller(server);
            await WaitUntilServingAsync(client, server);

            var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; ; i++)
                {
                    try
                    {
                        if (i % 3 == 2)
                        {
                            var ip = $"10.{w}.{i / 250}.{i % 250}";
                            await client.AddFirewallRuleAsync("ip", ip);
                            acknowledgedRules.Add(ip);
                        }
                        else
                        {
                            var hostname = $"w{w}-{i}.example.test";
                            await client.AddRouteAsync("127.0.0.1:0", new Route { Hostname = hostname, Backend = $"127.0.0.1:{1000 + i}" });
                            acknowledgedRoutes.Add(hostname);
                        }
                    }
                    catch (RpcException)
                    {
                        return;
                    }

                    if (acknowledgedRoutes.Count + acknowledgedRules.Count >= 60)
                    {
                        enough.TrySetResult();
                    }
                }
            })).ToArray();

            await enough.Task;
            server.Kill();
            await server.WaitForExitAsync();
            await Task.WhenAll(writers);
        }

        Assert.True(acknowledgedRoutes.Count + acknowledgedRules.Count >= 60);
        Assert.Equal("ok", IntegrityCheck(Path.Combine(directory, "mc-proxy.db")));

        // Restart on the same database (and over the dead server's socket file).
        await using var restarted = await TestProxy.StartAsync(Body, directory);
        using var after = McProxyClient.ForUnixSocket(socket);
        var routes = (await after.ListRoutesAsync()).Select(r => r.Hostname).ToHashSet();
        var rules = (await after.ListFirewallRulesAsync()).Select(r => r.Value).ToHashSet();
        Assert.All(acknowledgedRoutes, h => Assert.Contains(h, routes));
        Assert.All(acknowledgedRules, ip => Assert.Contains(ip, rules));
        Assert.Equal(routes, restarted.Server.Store.Routes.List().Select(r => r.Hostname).ToHashSet());
        await restarted.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>A failing test must not leave a server process behind.</summary>
    private sealed class ProcessKiller(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private static Process StartServer(string configPath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mc-proxy.dll"));
        start.ArgumentList.Add("server");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(configPath);
        var process = Process.Start(start)!;

        // Drain both pipes so a chatty server never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilServingAsync(McProxyClient client, Process server)
    {
        // Start-up of a fresh process on a loaded machine takes seconds; give up only if it exits or never comes.
        for (var attempt = 0; attempt < 600; attempt++)
        {
            Assert.False(server.HasExited, $"mc-proxy exited with {(server.HasExited ? server.ExitCode : 0)}");
            try
            {
                if (await client.CheckHealthAsync() == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail("mc-proxy never served its admin socket");
    }

    private static string IntegrityCheck(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }
}
