using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// A real peer proxy no one here wrote, HAProxy or nginx (Debian's packages, installed by
/// scripts/install-test-deps.sh), run in the foreground from a config the test writes, its output captured line
/// by line. Killed on dispose. A missing peer fails the test: the install script puts it there.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly string _directory;

    private readonly string _name;

    private PeerProcess(string name, Process process, string directory)
    {
        _name = name;
        _process = process;
        _directory = directory;
    }

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>A free loopback port for the peer to bind (it cannot bind port 0 and report it).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts haproxy with <paramref name="config"/> and waits until each of <paramref name="ports"/> accepts.</summary>
    public static async Task<PeerProcess> StartHaproxyAsync(string config, params int[] ports)
    {
        var directory = TestProxy.CreateTempDirectory();
        var path = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(path, config + "\n");
        return await StartAsync("haproxy", directory, ["-f", path, "-db"], ports);
    }

    /// <summary>
    /// Starts nginx with <paramref name="config"/> (its main context; the pid file, error log and daemon setting
    /// are added) in a directory of its own, and waits until each of <paramref name="ports"/> accepts.
    /// </summary>
    public static async Task<PeerProcess> StartNginxAsync(string config, params int[] ports)
    {
        var directory = TestProxy.CreateTempDirectory();
        var path = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(path, $"pid {directory}/nginx.pid;\nerror_log stderr info;\n{config}\n");
        return await StartAsync("nginx", directory, ["-p", directory, "-c", path, "-g", "daemon off;"], ports);
    }

    private static async Task<PeerProcess> StartAsync(string name, string directory, string[] arguments, int[] ports)
    {
        var start = new ProcessStartInfo(FindExecutable(name), arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start");
        var peer = new PeerProcess(name, process, directory);
        process.OutputDataReceived += (_, e) => peer.Add(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            foreach (var port in ports)
            {
                while (true)
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"{name} exited with {process.ExitCode}:\n{string.Join('\n', peer._lines)}");
                    }

                    try
                    {
                        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), deadline.Token);
                        break;
                    }
                    catch (SocketException)
                    {
                        await Task.Delay(100, deadline.Token);
                    }
                }
            }
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }

        return peer;
    }

    /// <summary>Waits for an output line containing <paramref name="text"/>; fails after <paramref name="timeout"/> with all output.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var line = _lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }

            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{_name} logged no line with \"{text}\"; have:\n{string.Join('\n', _lines)}");
            }
        }
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }

    private static string FindExecutable(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/usr/local/sbin"))
        {
            var candidate = Path.Combine(directory, name);
            if (directory.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{name} is not installed: run scripts/install-test-deps.sh");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
