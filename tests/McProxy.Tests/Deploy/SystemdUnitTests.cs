using System.Runtime.Versioning;
using McProxy.Cli;
using McProxy.Client;
using McProxy.Config;
using McProxy.Net;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Deploy;

/// <summary>
/// The systemd units in deploy/: the hardening SPEC §6 asks for, agreement with the server's own defaults and
/// the example config, and systemd's own judgement of the installed files.
/// </summary>
/// <remarks>
/// No systemd runs in the test container, so the units cannot be started here. What can be checked offline is:
/// `systemd-analyze verify --root` (syntax, directives, the ExecStart binary exists in the installed tree) and
/// `systemd-analyze security --offline` (the exposure score), against the tree deploy/install.sh lays down; and
/// the arguments ExecStart passes, run through the real command line.
/// </remarks>
[UnsupportedOSPlatform("windows")]
public sealed class SystemdUnitTests : IDisposable
{
    private const string ConfigPath = "/srv/mc-proxy/mc-proxy.toml";

    private readonly string _dir = TestProxy.CreateTempDirectory();

    private static UnitFile Unit(string name) => new(RepositoryPaths.Get("deploy", name));

    [Fact]
    public void ServerUnit_IsHardenedAsTheSpecAsks()
    {
        var unit = Unit("mc-proxy.service");

        Assert.Equal("mc-proxy", unit.Single("Service", "User"));
        Assert.Equal("strict", unit.Single("Service", "ProtectSystem"));
        Assert.Equal("/srv/mc-proxy", unit.Single("Service", "ReadWritePaths"));
        Assert.Equal("true", unit.Single("Service", "NoNewPrivileges"));
        Assert.Equal("CAP_NET_BIND_SERVICE", unit.Single("Service", "CapabilityBoundingSet"));
        Assert.Equal("CAP_NET_BIND_SERVICE", unit.Single("Service", "AmbientCapabilities"));
        Assert.Equal("true", unit.Single("Service", "PrivateTmp"));
        Assert.Equal("true", unit.Single("Service", "ProtectHome"));
        Assert.Equal("AF_INET AF_INET6 AF_UNIX", unit.Single("Service", "RestrictAddressFamilies"));
        Assert.Equal("@system-service", unit.Single("Service", "SystemCallFilter"));
        Assert.Equal("on-failure", unit.Single("Service", "Restart"));
        Assert.Equal("SIGTERM", unit.Single("Service", "KillSignal"));
        Assert.InRange(long.Parse(unit.Single("Service", "LimitNOFILE"), System.Globalization.CultureInfo.InvariantCulture), 65536, long.MaxValue);
        Assert.Equal("multi-user.target", unit.Single("Install", "WantedBy"));

        // The .NET JIT maps memory writable, then executable: with this set the runtime cannot start.
        Assert.False(unit.Has("MemoryDenyWriteExecute"), "MemoryDenyWriteExecute breaks the .NET JIT");
    }

    [Fact]
    public void ServerUnit_StopTimeout_OutlastsTheDrain()
    {
        var unit = Unit("mc-proxy.service");
        var stopTimeout = Duration.TryParse(unit.Single("Service", "TimeoutStopSec"), out var parsed) ? parsed : TimeSpan.MaxValue;
        var example = ConfigLoader.Load(RepositoryPaths.Get("mc-proxy.toml.example"));

        // systemd sends SIGKILL at TimeoutStopSec; the server needs shutdown_timeout to drain, plus time to exit.
        Assert.True(stopTimeout > new ProxySettings().ShutdownTimeout + TimeSpan.FromSeconds(5), $"TimeoutStopSec {stopTimeout}");
        Assert.True(stopTimeout > example.Proxy.ShutdownTimeout + TimeSpan.FromSeconds(5), $"TimeoutStopSec {stopTimeout}");
    }

    [Fact]
    public void ServerUnit_RunsTheExampleConfig_WhoseWritablePathsAreAllInReadWritePaths()
    {
        var unit = Unit("mc-proxy.service");
        Assert.Equal($"/usr/bin/mc-proxy server -c {ConfigPath}", unit.Single("Service", "ExecStart"));

        // Everything the server writes (database, its WAL, backups, the admin socket) must lie under the one
        // writable path, or ProtectSystem=strict makes it fail at start.
        var example = ConfigLoader.Load(RepositoryPaths.Get("mc-proxy.toml.example"));
        var writable = unit.Single("Service", "ReadWritePaths") + "/";
        Assert.StartsWith(writable, example.Database.Path, StringComparison.Ordinal);
        Assert.StartsWith("unix:" + writable, example.Grpc!.Addr, StringComparison.Ordinal);
        Assert.StartsWith(writable, Path.GetDirectoryName(ConfigPath) + "/", StringComparison.Ordinal);

        // A config error exits 2 (ExitCodes.BadConfig): restarting cannot fix it.
        Assert.Equal(ExitCodes.BadConfig.ToString(System.Globalization.CultureInfo.InvariantCulture), unit.Single("Service", "RestartPreventExitStatus"));
    }

    [Fact]
    public async Task BackupService_ExecStartArguments_WriteAndPruneASnapshotThroughTheRealCommandLine()
    {
        var service = Unit("mc-proxy-backup.service");
        var timer = Unit("mc-proxy-backup.timer");
        Assert.Equal("oneshot", service.Single("Service", "Type"));
        Assert.Equal("mc-proxy", service.Single("Service", "User"));
        Assert.Equal("/srv/mc-proxy", service.Single("Service", "ReadWritePaths"));
        Assert.Equal("daily", timer.Single("Timer", "OnCalendar"));
        Assert.Equal("true", timer.Single("Timer", "Persistent"));
        Assert.Equal("timers.target", timer.Single("Install", "WantedBy"));

        var execStart = service.Single("Service", "ExecStart").Split(' ');
        Assert.Equal("/usr/bin/mc-proxy", execStart[0]);
        Assert.Equal(["snapshot", "-c", ConfigPath], execStart[1..4]);
        Assert.Contains("--keep", execStart);

        // The same arguments, with the config path pointing at a temporary database, through the real CLI.
        var config = Path.Combine(_dir, "mc-proxy.toml");
        const string Listener = "[[listeners]]\naddr = \"127.0.0.1:0\"\n";
        File.WriteAllText(config, "[database]\npath = \"mc-proxy.db\"\n" + Listener);
        await using (await TestProxy.StartAsync(Listener, _dir))
        {
        }

        var backups = Path.Combine(_dir, "backups");
        Directory.CreateDirectory(backups);
        for (var day = 1; day <= 20; day++)
        {
            File.WriteAllText(Path.Combine(backups, $"mc-proxy-202001{day:00}T000000Z.db"), "");
        }

        var args = execStart[1..].Select(a => a == ConfigPath ? config : a).ToArray();
        var exit = await McProxyCli.RunAsync(args, TextWriter.Null, TextWriter.Null, CancellationToken.None);

        Assert.Equal(ExitCodes.Success, exit);
        var keep = int.Parse(execStart[Array.IndexOf(execStart, "--keep") + 1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(keep, Directory.GetFiles(backups).Length);
    }

    [Fact]
    public async Task InstalledUnits_PassSystemdAnalyzeVerify_WithoutAWarning()
    {
        var root = await InstallAsync();
        string[] units = ["mc-proxy.service", "mc-proxy-backup.service", "mc-proxy-backup.timer"];

        var result = await ProcessRunner.RunAsync(
            "systemd-analyze",
            ["verify", $"--root={root}", "--man=no", .. units.Select(u => $"/etc/systemd/system/{u}")]);

        // verify exits 0 on unknown keys and unparsable values, only warning: a warning fails the test too.
        Assert.True(result.ExitCode == 0 && result.Stderr.Length == 0 && result.Stdout.Length == 0, result.ToString());
    }

    [Fact]
    public async Task InstalledServerUnit_SystemdSecurityExposure_StaysLow()
    {
        var root = await InstallAsync();

        // systemd rates the sandbox from 0 (locked down) to 10 (none); 2.0 leaves room only for what a network
        // service on .NET needs (sockets, the JIT's executable memory, the bind capability).
        var result = await ProcessRunner.RunAsync(
            "systemd-analyze",
            ["security", "--offline=true", $"--root={root}", "--man=no", "--threshold=20", "/etc/systemd/system/mc-proxy.service"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Overall exposure level for mc-proxy.service", result.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// deploy/install.sh into a temporary root, plus the host's own systemd units (sysinit.target and the other
    /// targets the units depend on implicitly), which verify looks for inside the root.
    /// </summary>
    private async Task<string> InstallAsync()
    {
        var root = Path.Combine(_dir, "root");
        var published = Path.Combine(_dir, "published");
        Directory.CreateDirectory(published);
        File.WriteAllText(Path.Combine(published, "mc-proxy"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(published, "mc-proxy"), (UnixFileMode)0b111_101_101);
        var install = await ProcessRunner.RunAsync("bash", [RepositoryPaths.Get("deploy", "install.sh"), "--root", root, "--source", published]);
        Assert.True(install.ExitCode == 0, install.ToString());

        var hostUnits = new[] { "/usr/lib/systemd/system", "/lib/systemd/system" }.FirstOrDefault(Directory.Exists);
        Assert.True(hostUnits is not null, "no systemd unit directory on this machine; scripts/install-test-deps.sh installs systemd");
        var target = Directory.CreateDirectory(Path.Combine(root, "usr/lib/systemd/system")).FullName;
        var copy = await ProcessRunner.RunAsync("cp", ["-R", hostUnits + "/.", target]);
        Assert.True(copy.ExitCode == 0, copy.ToString());
        return root;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
