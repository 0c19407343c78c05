using System.Net;
using System.Text.Json;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// SPEC §6 as journald sees it: the real `mc-proxy server` process writes one JSON object per line on stdout,
/// at the configured [log] level, and exits 0 after SIGTERM.
/// </summary>
public sealed class LogOutputTests : IDisposable
{
    private readonly string _directory = TestProxy.CreateTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task InfoLevel_StdoutIsJsonLines_WithAccessLinesAndNoDebugLines()
    {
        var lines = await RunOneConnectionAsync("info");

        Assert.Contains(lines, l => Category(l) == "McProxy.Access");
        Assert.DoesNotContain(lines, l => l.GetProperty("LogLevel").GetString() == "Debug");
        Assert.DoesNotContain(lines, l => l.GetProperty("EventId").GetInt32() == 3 && Category(l) == "McProxy.Connection");
    }

    [Fact]
    public async Task DebugLevel_StdoutAlsoCarriesDebugLines()
    {
        var lines = await RunOneConnectionAsync("debug");

        var access = Assert.Single(lines, l => Category(l) == "McProxy.Access");
        var hello = Assert.Single(lines, l => l.GetProperty("LogLevel").GetString() == "Debug" && Category(l) == "McProxy.Connection");
        Assert.Equal(
            access.GetProperty("State").GetProperty("ConnectionId").GetInt64(),
            hello.GetProperty("State").GetProperty("ConnectionId").GetInt64());
    }

    /// <summary>Starts the server at <paramref name="level"/>, makes one no_route connection, stops it with SIGTERM; returns stdout parsed.</summary>
    private async Task<List<JsonElement>> RunOneConnectionAsync(string level)
    {
        var configPath = Path.Combine(_directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(configPath, $"""
            [database]
            path = "mc-proxy.db"
            [log]
            level = "{level}"
            [proxy]
            shutdown_timeout = "5s"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "known.example.test"
              backend = "127.0.0.1:1"
            """);

        using var server = ServerProcess.Start("server", "-c", configPath);
        var listening = await server.WaitForLineAsync(l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
        var endPoint = IPEndPoint.Parse(Parse(listening).GetProperty("State").GetProperty("EndPoint").GetString()!);

        string client;
        using (var socket = await RawClient.ConnectAsync(endPoint))
        {
            client = socket.LocalEndPoint!.ToString()!;
            await socket.SendAsync(ClientHelloBuilder.Build("unknown.example.test", alpn: ["h2"]));
            await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(10));
        }

        await server.WaitForLineAsync(l => l.Contains("\"McProxy.Access\"", StringComparison.Ordinal));
        Assert.Equal(0, await server.TerminateAsync());
        Assert.Empty(server.StderrLines);

        // Every line is one complete JSON object with the fields a log shipper keys on.
        var lines = server.StdoutLines.Select(Parse).ToList();
        foreach (var line in lines)
        {
            Assert.True(DateTimeOffset.TryParse(line.GetProperty("Timestamp").GetString(), out _));
            Assert.False(string.IsNullOrEmpty(line.GetProperty("Message").GetString()));
            Assert.False(string.IsNullOrEmpty(Category(line)));
        }

        Assert.Equal("Stopped", lines[^1].GetProperty("Message").GetString());
        var access = lines.Single(l => Category(l) == "McProxy.Access").GetProperty("State");
        Assert.Equal("no_route", access.GetProperty("Outcome").GetString());
        Assert.Equal(client, access.GetProperty("Client").GetString());
        Assert.Equal("unknown.example.test", access.GetProperty("Sni").GetString());
        Assert.Equal("127.0.0.1:0", access.GetProperty("Listener").GetString());
        Assert.Equal(JsonValueKind.Number, access.GetProperty("BytesIn").ValueKind);
        Assert.Equal(JsonValueKind.Number, access.GetProperty("DurationMs").ValueKind);
        return lines;
    }

    private static JsonElement Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        return document.RootElement.Clone();
    }

    private static string? Category(JsonElement line) => line.GetProperty("Category").GetString();
}
