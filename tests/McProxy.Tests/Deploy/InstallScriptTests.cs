using System.Runtime.Versioning;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Deploy;

/// <summary>
/// deploy/install.sh into a temporary root, as a packager's DESTDIR: which files land where, with which modes,
/// and that a second run (an upgrade) replaces the programs but never the operator's config.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class InstallScriptTests : IDisposable
{
    private const UnixFileMode Mode0755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Mode0750 = (UnixFileMode)0b111_101_000;
    private const UnixFileMode Mode0644 = (UnixFileMode)0b110_100_100;
    private const UnixFileMode Mode0640 = (UnixFileMode)0b110_100_000;

    private static readonly string[] Units = ["mc-proxy.service", "mc-proxy-backup.service", "mc-proxy-backup.timer"];

    private readonly string _dir = TestProxy.CreateTempDirectory();

    private string Root => Path.Combine(_dir, "root");

    private string Server => Path.Combine(_dir, "out", "mc-proxy");

    private string Ctl => Path.Combine(_dir, "out", "mcproxyctl");

    public InstallScriptTests()
    {
        // Stand-ins for `make mc-proxy` and `make mcproxyctl` output, with the modes a publish leaves behind.
        FakePublish(Server, "mc-proxy", "v1");
        FakePublish(Ctl, "mcproxyctl", "v1");
    }

    [Fact]
    public async Task Install_IntoTempRoot_LaysDownProgramsUnitsDocsAndConfigWithTheirModes()
    {
        var result = await InstallAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        AssertFile("usr/lib/mc-proxy/mc-proxy", Mode0755, "#!/bin/sh\necho mc-proxy v1\n");
        AssertFile("usr/lib/mc-proxy/mc-proxy.dll", Mode0644, "v1");
        AssertFile("usr/lib/mcproxyctl/mcproxyctl", Mode0755, "#!/bin/sh\necho mcproxyctl v1\n");
        Assert.Equal("/usr/lib/mc-proxy/mc-proxy", new FileInfo(InRoot("usr/bin/mc-proxy")).LinkTarget);
        Assert.Equal("/usr/lib/mcproxyctl/mcproxyctl", new FileInfo(InRoot("usr/bin/mcproxyctl")).LinkTarget);
        foreach (var unit in Units)
        {
            AssertFile($"etc/systemd/system/{unit}", Mode0644, File.ReadAllText(RepositoryPaths.Get("deploy", unit)));
        }

        var example = File.ReadAllText(RepositoryPaths.Get("mc-proxy.toml.example"));
        Assert.Equal(Mode0750, File.GetUnixFileMode(InRoot("srv/mc-proxy")));
        AssertFile("srv/mc-proxy/mc-proxy.toml", Mode0640, example);
        AssertFile("usr/share/doc/mc-proxy/mc-proxy.toml.example", Mode0644, example);
        AssertFile("usr/share/doc/mc-proxy/README.md", Mode0644, File.ReadAllText(RepositoryPaths.Get("README.md")));
        AssertFile("usr/share/doc/mc-proxy/RUNBOOK.md", Mode0644, File.ReadAllText(RepositoryPaths.Get("RUNBOOK.md")));
        Assert.Contains("systemctl enable --now mc-proxy.service mc-proxy-backup.timer", result.Stdout, StringComparison.Ordinal);

        // Nothing is staged beside the programs after the swap.
        Assert.Equal(["mc-proxy", "mcproxyctl"], Directory.GetFileSystemEntries(InRoot("usr/lib")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Install_SecondRun_ReplacesTheProgramsButKeepsTheOperatorsConfig()
    {
        Assert.Equal(0, (await InstallAsync()).ExitCode);
        var config = InRoot("srv/mc-proxy/mc-proxy.toml");
        File.WriteAllText(config, "# the operator's own config\n");
        File.WriteAllText(InRoot("srv/mc-proxy/mc-proxy.db"), "data");
        File.Delete(Path.Combine(Server, "mc-proxy.dll"));
        FakePublish(Server, "mc-proxy", "v2");
        File.WriteAllText(Path.Combine(Server, "mc-proxy.deps.json"), "{}");

        var result = await InstallAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("# the operator's own config\n", File.ReadAllText(config));
        Assert.Equal("data", File.ReadAllText(InRoot("srv/mc-proxy/mc-proxy.db")));
        Assert.Contains("keeping the existing /srv/mc-proxy/mc-proxy.toml", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("#!/bin/sh\necho mc-proxy v2\n", File.ReadAllText(InRoot("usr/lib/mc-proxy/mc-proxy")));
        Assert.Equal("v2", File.ReadAllText(InRoot("usr/lib/mc-proxy/mc-proxy.dll")));
        Assert.True(File.Exists(InRoot("usr/lib/mc-proxy/mc-proxy.deps.json")));
    }

    [Fact]
    public async Task Install_UpgradeDropsFilesTheNewBuildNoLongerHas()
    {
        File.WriteAllText(Path.Combine(Server, "Obsolete.dll"), "old");
        Assert.Equal(0, (await InstallAsync()).ExitCode);
        File.Delete(Path.Combine(Server, "Obsolete.dll"));

        Assert.Equal(0, (await InstallAsync()).ExitCode);

        Assert.False(File.Exists(InRoot("usr/lib/mc-proxy/Obsolete.dll")));
    }

    [Fact]
    public async Task Install_WithoutMcproxyctl_InstallsTheServerAndLinksNoCtl()
    {
        Directory.Delete(Ctl, recursive: true);

        var result = await InstallAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(InRoot("usr/lib/mc-proxy/mc-proxy")));
        Assert.False(File.Exists(InRoot("usr/bin/mcproxyctl")) || Directory.Exists(InRoot("usr/lib/mcproxyctl")));
        Assert.Contains("no mcproxyctl", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_DestDirEnvironment_IsTheRootToo()
    {
        var result = await ProcessRunner.RunAsync(
            "bash",
            [RepositoryPaths.Get("deploy", "install.sh"), "--source", Server, "--ctl-source", Ctl],
            environment: new Dictionary<string, string> { ["DESTDIR"] = Root });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(InRoot("etc/systemd/system/mc-proxy.service")));
    }

    [Fact]
    public async Task Install_NothingBuilt_FailsWithTheCommandToRunAndInstallsNothing()
    {
        var result = await InstallAsync("--source", Path.Combine(_dir, "out", "missing"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("make mc-proxy", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Root));
    }

    [Fact]
    public async Task InstallScript_PassesShellcheck()
    {
        var result = await ProcessRunner.RunAsync("shellcheck", [RepositoryPaths.Get("deploy", "install.sh")]);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private Task<ProcessRunner.Result> InstallAsync(params string[] extra)
        => ProcessRunner.RunAsync(
            "bash",
            [RepositoryPaths.Get("deploy", "install.sh"), "--root", Root, "--source", Server, "--ctl-source", Ctl, .. extra]);

    private string InRoot(string path) => Path.Combine(Root, path);

    private void AssertFile(string path, UnixFileMode mode, string content)
    {
        var full = InRoot(path);
        Assert.True(File.Exists(full), $"{path} was not installed");
        Assert.Equal(mode, File.GetUnixFileMode(full) & (UnixFileMode)0b111_111_111);
        Assert.Equal(content, File.ReadAllText(full));
    }

    private static void FakePublish(string directory, string name, string version)
    {
        Directory.CreateDirectory(directory);
        var executable = Path.Combine(directory, name);
        File.WriteAllText(executable, $"#!/bin/sh\necho {name} {version}\n");
        File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var assembly = Path.Combine(directory, name + ".dll");
        File.WriteAllText(assembly, version);
        File.SetUnixFileMode(assembly, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
