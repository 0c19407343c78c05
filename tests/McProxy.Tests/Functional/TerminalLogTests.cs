using System.Diagnostics;
using System.Text.RegularExpressions;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// <c>[log] format = "auto"</c> on a terminal, as <c>make devserver</c> runs the server: text lines, no JSON. The real
/// process runs under util-linux <c>script</c>, whose pseudo-terminal is its stdout; Ctrl-C typed into that terminal
/// stops it, as a developer would.
/// </summary>
public sealed partial class TerminalLogTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _directory = TestProxy.CreateTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task AutoFormat_OnATerminal_IsOneTextLinePerEvent()
    {
        var configPath = Path.Combine(_directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(configPath, """
            [database]
            path = "mc-proxy.db"
            [log]
            format = "auto"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "known.example.test"
              backend = "127.0.0.1:1"
            """);
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var server = Path.Combine(AppContext.BaseDirectory, "mc-proxy.dll");
        var info = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // -q: no banner, -f: flush each write, -e: exit with the server's code; the typescript file is not needed.
        foreach (var argument in new[] { "-qfe", "-c", $"exec '{host}' '{server}' server -c '{configPath}'", "/dev/null" })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Start(info);
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(Deadline);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        var sentInterrupt = false;
        try
        {
            // Read until the listener is up, then type Ctrl-C; the terminal turns it into SIGINT for the server.
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } raw)
            {
                var line = Clean(raw);
                lines.Add(line);
                if (!sentInterrupt && line.Contains(" server Listener 127.0.0.1:0 accepting on ", StringComparison.Ordinal))
                {
                    await process.StandardInput.WriteAsync('\u0003');
                    await process.StandardInput.FlushAsync(cts.Token);
                    sentInterrupt = true;
                }
            }

            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var all = string.Join("\n", lines) + "\nstderr:\n" + await stderr;
        Assert.True(sentInterrupt, all);
        Assert.True(process.ExitCode == 0, all);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\d\d:\d\d:\d\d\.\d{3} info  server Listener 127\.0\.0\.1:0 accepting on 127\.0\.0\.1:\d+$"));
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} info  server Stopped$", lines.Last(l => l.Length > 0));
        Assert.DoesNotContain(lines, l => l.Contains("\"Timestamp\"", StringComparison.Ordinal));
    }

    private static Process Start(ProcessStartInfo info)
    {
        try
        {
            return Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"script (util-linux) is not installed ({e.Message}); scripts/install-test-deps.sh installs it", e);
        }
    }

    /// <summary>A terminal line as the server wrote it: without the pty's CR, the terminal set-up and the echoed ^C.</summary>
    private static string Clean(string raw) => TerminalNoise().Replace(raw.TrimEnd('\r'), "");

    [GeneratedRegex(@"\e\[\?1h\e=|\e\[\?1l\e>|\^C")]
    private static partial Regex TerminalNoise();
}
