using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// SPEC §6 as journald sees it: the real `mc-proxy server` process writes one JSON object per line on stdout,
/// at the configured [log] level, and exits 0 after SIGTERM. With [log] format = "auto" (the default) it writes JSON
/// because its stdout is a pipe here, as under journald; "text" gives one short line per event.
/// </summary>
public sealed class LogOutputTests : IDisposable
{
    private readonly string _directory = TestProxy.CreateTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task InfoLevel_StdoutIsJsonLines_WithAccessLinesAndNoDebugLines()
    {
        var lines = await RunOneConnectionAsync("info", format: null);

        Assert.Contains(lines, l => Category(l) == "McProxy.Access");
        Assert.DoesNotContain(lines, l => l.GetProperty("LogLevel").GetString() == "Debug");
        Assert.DoesNotContain(lines, l => l.GetProperty("EventId").GetInt32() == 3 && Category(l) == "McProxy.Connection");
    }

    [Fact]
    public async Task DebugLevel_StdoutAlsoCarriesDebugLines()
    {
        var lines = await RunOneConnectionAsync("debug", "json");

        var access = Assert.Single(lines, l => Category(l) == "McProxy.Access");
        var hello = Assert.Single(lines, l => l.GetProperty("LogLevel").GetString() == "Debug" && Category(l) == "McProxy.Connection");
        Assert.Equal(
            access.GetProperty("State").GetProperty("ConnectionId").GetInt64(),
            hello.GetProperty("State").GetProperty("ConnectionId").GetInt64());
    }

    [Fact]
    public async Task AutoFormat_OnAPipe_IsJsonLines_WithTheMessageOnce()
    {
        var lines = await RunOneConnectionAsync("info", "auto");

        var access = Assert.Single(lines, l => Category(l) == "McProxy.Access");
        Assert.False(access.GetProperty("State").TryGetProperty("Message", out _));
        Assert.False(access.GetProperty("State").TryGetProperty("{OriginalFormat}", out _));
        Assert.Contains("outcome=no_route", access.GetProperty("Message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextFormat_IsOneShortLinePerEvent_TheAccessLineFromItsFields()
    {
        var configPath = await WriteConfigAsync("info", "text");

        using var server = ServerProcess.Start("server", "-c", configPath);
        var listening = await server.WaitForLineAsync(l => l.Contains(" info  server Listener 127.0.0.1:0 accepting on ", StringComparison.Ordinal));
        var endPoint = IPEndPoint.Parse(listening[(listening.LastIndexOf(' ') + 1)..]);

        var client = await ConnectOnceAsync(endPoint);

        var access = await server.WaitForLineAsync(l => l.Contains(" access ", StringComparison.Ordinal));
        Assert.Equal(0, await server.TerminateAsync());
        Assert.Empty(server.StderrLines);

        Assert.Matches($@"^\d\d:\d\d:\d\d\.\d{{3}} info  access {Regex.Escape(client)} unknown\.example\.test no_route \d+ms id=\d+$", access);
        Assert.All(server.StdoutLines, l => Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} (info |warn ) \S+ \S", l));
        Assert.EndsWith(" info  server Stopped", server.StdoutLines.Last(), StringComparison.Ordinal);
    }

    /// <summary>Starts the server at <paramref name="level"/>, makes one no_route connection, stops it with SIGTERM; returns stdout parsed.</summary>
    private async Task<List<JsonElement>> RunOneConnectionAsync(string level, string? format)
    {
        var configPath = await WriteConfigAsync(level, format);

        using var server = ServerProcess.Start("server", "-c", configPath);
        var listening = await server.WaitForLineAsync(l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
        var endPoint = IPEndPoint.Parse(Parse(listening).GetProperty("State").GetProperty("EndPoint").GetString()!);

        var client = await ConnectOnceAsync(endPoint);

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

    /// <summary>One connection whose SNI no route matches; returns the client's address as the access line shows it.</summary>
    private static async Task<string> ConnectOnceAsync(IPEndPoint endPoint)
    {
        using var socket = await RawClient.ConnectAsync(endPoint);
        var client = socket.LocalEndPoint!.ToString()!;
        await socket.SendAsync(ClientHelloBuilder.Build("unknown.example.test", alpn: ["h2"]));
        await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(10));
        return client;
    }

    private async Task<string> WriteConfigAsync(string level, string? format)
    {
        var configPath = Path.Combine(_directory, "mc-proxy.toml");
        var formatLine = format is null ? "" : $"format = \"{format}\"";
        await File.WriteAllTextAsync(configPath, $"""
            [database]
            path = "mc-proxy.db"
            [log]
            level = "{level}"
            {formatLine}
            [proxy]
            shutdown_timeout = "5s"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "known.example.test"
              backend = "127.0.0.1:1"
            """);
        return configPath;
    }

    private static JsonElement Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        return document.RootElement.Clone();
    }

    private static string? Category(JsonElement line) => line.GetProperty("Category").GetString();
}
