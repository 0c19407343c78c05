using System.Net;
using System.Text.Json;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// A hostile HTTP/2 client that floods HEADERS and RST_STREAM pairs, never reads, then resets TCP. Kestrel ends such
/// a connection by itself most of the time, but about one in twenty it waited forever for streams it had aborted
/// (dotnet/aspnetcore#51304's note) and the connection held its <c>max_connections</c> slot and never got its access
/// line. Every one of them now ends within <c>L7Connection.ReleaseBound</c>.
/// </summary>
public sealed class RapidResetReleaseTests : IAsyncLifetime
{
    private const string Hostname = "edge.example.test";
    private const int Connections = 100;

    private readonly TestCertificates _certs = new();
    private string _directory = null!;
    private HttpTestBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _backend = await HttpTestBackend.StartAsync(BackendMode.Http1);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _certs.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task RapidResetThenTcpReset_EveryConnectionEnds_AndGetsItsLine()
    {
        var pem = PemFiles.Write(_certs.IssueServer(Hostname), _directory, "edge");
        var configPath = Path.Combine(_directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(configPath, $"""
            [database]
            path = "mc-proxy.db"
            [log]
            level = "info"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{Hostname}"
              backend = "{_backend.Address}"
              mode = "l7"
              tls_cert = "{pem.Cert}"
              tls_key = "{pem.Key}"
            """);
        using var server = ServerProcess.Start("server", "-c", configPath);
        var listening = await server.WaitForLineAsync(l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
        var endPoint = IPEndPoint.Parse(JsonDocument.Parse(listening).RootElement.GetProperty("State").GetProperty("EndPoint").GetString()!);

        for (var connection = 0; connection < Connections; connection++)
        {
            using var client = await RawHttp2Client.ConnectAsync(endPoint, Hostname, _certs);
            await client.FloodAsync(20_000, round => RawHttp2Client.HeadersThenReset(1 + (2 * round), Hostname), stall: TimeSpan.FromSeconds(2));
            client.Reset();
        }

        // Without the bound a few of them never end (idle_timeout does not reach them: Kestrel is not idle-waiting).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (ConnectionLines(server).Count < Connections && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var lines = ConnectionLines(server);
        Assert.Equal(Connections, lines.Count);
        Assert.All(lines, l => Assert.True(l.GetProperty("DurationMs").GetInt64() < 30_000, $"a connection ended only after {l.GetProperty("DurationMs")} ms"));
        Assert.Equal(0, await server.TerminateAsync());
    }

    private static List<JsonElement> ConnectionLines(ServerProcess server) =>
        server.StdoutLines
            .Where(l => l.Contains("\"McProxy.Access\"", StringComparison.Ordinal) && l.Contains("\"EventId\":1,", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("State").Clone())
            .ToList();
}
