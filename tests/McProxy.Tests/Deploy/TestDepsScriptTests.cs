using System.Runtime.Versioning;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Deploy;

/// <summary>
/// scripts/install-test-deps.sh, which `make test` runs first, on a PATH of stand-ins: silent with no apt-get
/// when everything is there, installs only what is missing as root, and as anyone else names the missing
/// packages and the command to run. The stand-in apt-get records its calls; the real one is never on the PATH.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class TestDepsScriptTests : IDisposable
{
    private static readonly string[] Commands = ["openssl", "curl", "systemd-analyze", "shellcheck", "make", "script", "haproxy", "nginx"];

    private readonly string _dir = TestProxy.CreateTempDirectory();

    private string Bin => Path.Combine(_dir, "bin");

    private string Sbin => Path.Combine(_dir, "sbin");

    private string Modules => Path.Combine(_dir, "modules");

    private string AptLog => Path.Combine(_dir, "apt-get.log");

    public TestDepsScriptTests()
    {
        Directory.CreateDirectory(Bin);
        Directory.CreateDirectory(Sbin);
        Directory.CreateDirectory(Modules);
        foreach (var command in Commands)
        {
            Executable(Bin, command, "exit 0");
        }

        File.WriteAllText(Path.Combine(Modules, "ngx_stream_module.so"), "");
        Executable(Bin, "apt-get", $"echo \"DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*\" >> '{AptLog}'");
        RunAs(0);
    }

    [Fact]
    public async Task EverythingPresent_PrintsNothing_AndRunsNoAptGet()
    {
        var result = await RunScriptAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stdout + result.Stderr);
        Assert.False(File.Exists(AptLog), "apt-get ran with nothing missing");
    }

    [Fact]
    public async Task MissingAsRoot_UpdatesThenInstallsOnlyWhatIsMissing()
    {
        File.Delete(Path.Combine(Bin, "shellcheck"));
        File.Delete(Path.Combine(Modules, "ngx_stream_module.so"));

        var result = await RunScriptAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            ["DEBIAN_FRONTEND= update -qq", "DEBIAN_FRONTEND=noninteractive install -y -qq shellcheck libnginx-mod-stream"],
            File.ReadAllLines(AptLog));
    }

    [Fact]
    public async Task MissingAsRoot_DryRun_PrintsTheCommandsAndRunsNothing()
    {
        File.Delete(Path.Combine(Bin, "haproxy"));

        var result = await RunScriptAsync("--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("apt-get update -qq\nDEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy\n", result.Stdout);
        Assert.False(File.Exists(AptLog));
    }

    [Fact]
    public async Task MissingAsNonRoot_NamesThePackagesAndTheCommand_AndFails()
    {
        RunAs(1000);
        File.Delete(Path.Combine(Bin, "nginx"));
        File.Delete(Path.Combine(Bin, "curl"));

        var result = await RunScriptAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not installed: curl nginx-light", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("sudo ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("install-test-deps.sh", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(AptLog), "apt-get ran without root");
    }

    [Fact]
    public async Task DaemonOnlyInSbin_CountsAsInstalled()
    {
        // A non-root PATH often lacks /usr/sbin, where Debian puts haproxy and nginx.
        RunAs(1000);
        File.Move(Path.Combine(Bin, "nginx"), Path.Combine(Sbin, "nginx"));

        var result = await RunScriptAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task Scripts_PassShellcheck()
    {
        var scripts = Directory.GetFiles(RepositoryPaths.Get("scripts"), "*.sh").Append(RepositoryPaths.Get(".ci", "run")).ToArray();
        Assert.Contains(RepositoryPaths.Get("scripts", "install-test-deps.sh"), scripts);

        var result = await ProcessRunner.RunAsync("shellcheck", scripts);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task MakeTest_InstallsFirst_TestUnitNeedsNothing_AndCiRunsMakeTest()
    {
        var test = await ProcessRunner.RunAsync("make", ["--no-print-directory", "-n", "test"]);
        var unit = await ProcessRunner.RunAsync("make", ["--no-print-directory", "-n", "test-unit"]);

        Assert.Equal(["scripts/install-test-deps.sh", "scripts/test.sh"], test.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["TEST_PROJECT=tests/McProxy.Tests scripts/test.sh --filter Category=Unit"], unit.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var ci = File.ReadAllLines(RepositoryPaths.Get(".ci", "run"));
        Assert.Contains("make test", ci);
        Assert.DoesNotContain(ci, l => l.Contains("install-test-deps", StringComparison.Ordinal));
    }

    /// <summary>The script on a PATH of nothing but the stand-ins, with its daemon and module directories here.</summary>
    private Task<ProcessRunner.Result> RunScriptAsync(params string[] arguments)
        => ProcessRunner.RunAsync(
            "bash",
            [RepositoryPaths.Get("scripts", "install-test-deps.sh"), .. arguments],
            environment: new Dictionary<string, string>
            {
                ["PATH"] = Bin,
                ["TEST_DEPS_SBIN"] = Sbin,
                ["TEST_DEPS_NGINX_MODULES"] = Modules,
                ["DEBIAN_FRONTEND"] = "",
            });

    /// <summary>The stand-in `id`: the script asks `id -u` whether it may install.</summary>
    private void RunAs(int uid) => Executable(Bin, "id", $"echo {uid}");

    private static void Executable(string directory, string name, string body)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
