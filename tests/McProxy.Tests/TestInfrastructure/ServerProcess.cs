using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// `mc-proxy` as an operator runs it: the built executable in its own process, its stdout and stderr captured
/// line by line, stopped with a real SIGTERM. For what only the real process shows: the log format, the level.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _signal = new(0);

    private ServerProcess(Process process)
    {
        _process = process;
    }

    public IReadOnlyCollection<string> StdoutLines => _stdout;

    /// <summary>The server's process id (the shell of <see cref="StartUnderUmask"/> replaced itself with the server).</summary>
    public int Id => _process.Id;

    public IReadOnlyCollection<string> StderrLines => _stderr;

    /// <summary>Runs <c>mc-proxy</c> with <paramref name="arguments"/> through the same dotnet host as the tests.</summary>
    public static ServerProcess Start(params string[] arguments) => Start(null, arguments);

    /// <summary>Runs <c>mc-proxy</c> as <see cref="Start(string[])"/> does, with <paramref name="environment"/> added to its environment.</summary>
    public static ServerProcess StartWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] arguments)
        => Start(null, arguments, environment);

    /// <summary>Runs <c>mc-proxy</c> as <see cref="Start(string[])"/> does, under the umask <paramref name="umask"/> (octal, e.g. "000").</summary>
    public static ServerProcess StartUnderUmask(string umask, params string[] arguments) => Start(umask, arguments);

    /// <summary>Runs <c>mc-proxy</c> as <see cref="Start(string[])"/> does, in <paramref name="workingDirectory"/>, to its exit: for a run that is expected to end on its own.</summary>
    public static Task<ProcessRunner.Result> RunToExitAsync(string workingDirectory, params string[] arguments)
        => ProcessRunner.RunAsync(Host, [ServerDll, .. arguments], workingDirectory);

    // DOTNET_HOST_PATH is set by the dotnet CLI for the processes it starts; the apphost alone may not find
    // the runtime on a machine where dotnet is not installed in its default location.
    private static string Host => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "mc-proxy.dll");

    private static ServerProcess Start(string? umask, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var host = Host;
        var info = new ProcessStartInfo(umask is null ? host : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (umask is not null)
        {
            // The shell sets the umask and replaces itself with the server: the same process, the umask inherited.
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"umask {umask} && exec \"$@\"");
            info.ArgumentList.Add("sh");
            info.ArgumentList.Add(host);
        }

        info.ArgumentList.Add(ServerDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Add(server._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => server.Add(server._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    private void Add(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
            _signal.Release();
        }
    }

    /// <summary>Waits for a stdout line matching <paramref name="predicate"/>; fails if the process exits first or after 30 s.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var match = _stdout.FirstOrDefault(predicate);
            if (match is not null)
            {
                return match;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mc-proxy exited ({_process.ExitCode}) first; stdout:\n{string.Join("\n", _stdout)}\nstderr:\n{string.Join("\n", _stderr)}");
            }

            try
            {
                await _signal.WaitAsync(TimeSpan.FromMilliseconds(100), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no matching line; stdout:\n" + string.Join("\n", _stdout));
            }
        }
    }

    /// <summary>Waits for the process to exit on its own (a refused start) and returns its exit code once its output ended.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as systemd does, and returns the exit code once the process and its output ended.</summary>
    public async Task<int> TerminateAsync()
    {
        Assert.Equal(0, Kill(_process.Id, SigTerm));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        _signal.Dispose();
    }

    // DllImport rather than LibraryImport: the generated marshalling would need unsafe code in this project.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
