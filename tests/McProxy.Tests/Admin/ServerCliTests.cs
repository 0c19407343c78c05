using McProxy.Cli;
using McProxy.Client;
using McProxy.Tests.TestInfrastructure;
using Microsoft.Data.Sqlite;

namespace McProxy.Tests.Admin;

/// <summary>`mc-proxy status` and `mc-proxy snapshot` against a running server, invoked in-process with captured output.</summary>
public sealed class ServerCliTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await McProxyCli.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string WriteConfig(AdminEnvironment env)
    {
        var path = Path.Combine(env.Directory, "mc-proxy.toml");
        File.WriteAllText(path, "[database]\npath = \"mc-proxy.db\"\n" + env.Toml);
        return path;
    }

    [Fact]
    public async Task Status_UnixSocket_ReportsServingAndListeners()
    {
        await using var env = await AdminEnvironment.StartAsync();

        var (code, stdout, stderr) = await RunAsync("status", "-c", WriteConfig(env));

        Assert.Equal(ExitCodes.Success, code);
        Assert.Empty(stderr);
        Assert.StartsWith("health: Serving\nmc-proxy 0.1.0, up ", stdout, StringComparison.Ordinal);
        Assert.Contains($"listener {AdminEnvironment.Listener} on {env.Proxy.EndPoint()}: 2 route(s)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_MutualTls_TrustsTheConfiguredCertificateAndPresentsTheClientOne()
    {
        var client = (Cert: "", Key: "");
        await using var env = await AdminEnvironment.StartAsync(e =>
        {
            var server = AdminCertificates.WriteServer(e.Certs, e.Directory, "admin");
            client = AdminCertificates.WriteClient(e.Certs, e.Directory, "operator");
            return $"""
                [grpc]
                addr = "127.0.0.1:0"
                tls_cert = "{server.Cert}"
                tls_key = "{server.Key}"
                client_ca = "{AdminCertificates.WriteCa(e.Certs, e.Directory, "admin")}"
                """;
        });
        // The server bound port 0; status reads the config, so it gets the real port.
        var config = WriteConfig(env);
        File.WriteAllText(config, File.ReadAllText(config).Replace("addr = \"127.0.0.1:0\"\ntls_cert", $"addr = \"127.0.0.1:{env.AdminPort}\"\ntls_cert", StringComparison.Ordinal));

        var withCert = await RunAsync("status", "-c", config, "--cert", client.Cert, "--key", client.Key);
        var withoutCert = await RunAsync("status", "-c", config);

        Assert.True(withCert.Code == ExitCodes.Success, withCert.Error);
        Assert.StartsWith("health: Serving", withCert.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Unreachable, withoutCert.Code);
        Assert.Contains("unreachable", withoutCert.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NoGrpcSection_IsAConfigError()
    {
        var directory = TestProxy.CreateTempDirectory();
        var config = Path.Combine(directory, "mc-proxy.toml");
        File.WriteAllText(config, "[database]\npath = \"mc-proxy.db\"\n[[listeners]]\naddr = \"127.0.0.1:0\"\n");

        var (code, _, stderr) = await RunAsync("status", "-c", config);

        Assert.Equal(ExitCodes.BadConfig, code);
        Assert.Contains("[grpc]", stderr, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Snapshot_WhileTrafficFlows_WritesADatabaseThatOpensAndHoldsTheRoutes()
    {
        await using var env = await AdminEnvironment.StartAsync();
        await env.Client.AddRouteAsync(AdminEnvironment.Listener, new McProxy.Client.V1.Route { Hostname = "late.example.test", Backend = env.Two.Address });
        await using var flowing = await TlsTestClient.ConnectAsync(env.Proxy.EndPoint(), AdminEnvironment.L4Host, env.Certs);
        await flowing.ReadUntilAsync("\n");
        using var stop = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await flowing.WriteAsync($"ping {i}\n");
                await flowing.ReadUntilAsync($"ping {i}\n");
            }
        });

        var (code, stdout, stderr) = await RunAsync("snapshot", "-c", WriteConfig(env));
        await stop.CancelAsync();
        await traffic;

        Assert.Equal(ExitCodes.Success, code);
        Assert.Empty(stderr);
        var backup = stdout.Trim();
        Assert.StartsWith(Path.Combine(env.Directory, "backups", "mc-proxy-"), backup, StringComparison.Ordinal);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = backup, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", check.ExecuteScalar());
        using var routes = connection.CreateCommand();
        routes.CommandText = "SELECT hostname FROM routes ORDER BY hostname";
        using var reader = routes.ExecuteReader();
        var hostnames = new List<string>();
        while (reader.Read())
        {
            hostnames.Add(reader.GetString(0));
        }

        Assert.Equal(["late.example.test", AdminEnvironment.L4Host, AdminEnvironment.L7Host], hostnames);
    }
}
