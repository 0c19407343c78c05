using System.Text.RegularExpressions;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Deploy;

/// <summary>
/// deploy/Dockerfile and `make docker`. No Docker engine runs where the tests run, so the image is not built
/// here; these check what can go wrong silently: the image building something other than `make mc-proxy`
/// publishes, a runtime that does not match the target framework, running as root, no volume.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(RepositoryPaths.Get("deploy", "Dockerfile"))
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .ToArray();

    // --no-print-directory: under `make test` the inherited MAKELEVEL makes make announce its directory.
    [Fact]
    public async Task MakeDocker_BuildsDeployDockerfileFromTheRepositoryRoot()
    {
        var result = await ProcessRunner.RunAsync("make", ["--no-print-directory", "-n", "docker"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("docker build -f deploy/Dockerfile -t mc-proxy .", result.Stdout.Trim());
    }

    [Fact]
    public async Task BuildStage_RunsTheMakefilesPublish_AndTheRuntimeCopiesItsOutput()
    {
        var build = Stage("build");
        Assert.Contains("RUN make mc-proxy mcproxyctl", build);

        // Where `make mc-proxy` publishes is where the runtime stage copies from.
        foreach (var (target, name) in new[] { ("mc-proxy", "mc-proxy"), ("mcproxyctl", "mcproxyctl") })
        {
            var dryRun = await ProcessRunner.RunAsync("make", ["--no-print-directory", "-n", target]);
            Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
            var output = PublishOutput().Match(dryRun.Stdout);
            Assert.True(output.Success, dryRun.Stdout);
            Assert.Contains($"COPY --from=build /src/{output.Groups[1].Value} /usr/lib/{name}", Stage(null));
        }
    }

    [Fact]
    public void Images_AreTheSdkToBuildAndTheAspNetRuntimeOfTheTargetFramework()
    {
        var props = File.ReadAllText(RepositoryPaths.Get("Directory.Build.props"));
        var version = TargetFramework().Match(props).Groups[1].Value;
        var froms = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToArray();

        Assert.Equal([$"FROM mcr.microsoft.com/dotnet/sdk:{version} AS build", $"FROM mcr.microsoft.com/dotnet/aspnet:{version}"], froms);
    }

    [Fact]
    public void Runtime_RunsAsNonRootWithTheDataVolumeAndTheServerCommand()
    {
        var runtime = Stage(null);

        var user = Assert.Single(runtime, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"^USER\s+(root|0)(:|$)", user);
        Assert.Contains("VOLUME /srv/mc-proxy", runtime);
        Assert.Contains(runtime, l => l.StartsWith("EXPOSE ", StringComparison.Ordinal) && l.Split(' ').Contains("443"));
        Assert.Contains("ENTRYPOINT [\"mc-proxy\"]", runtime);
        Assert.Contains("CMD [\"server\", \"-c\", \"/srv/mc-proxy/mc-proxy.toml\"]", runtime);
    }

    [Fact]
    public void DockerIgnore_KeepsHostBuildOutputOutOfTheContext()
    {
        var ignored = File.ReadAllLines(RepositoryPaths.Get(".dockerignore"));

        Assert.Contains("**/bin", ignored);
        Assert.Contains("**/obj", ignored);
        Assert.Contains("out", ignored);
    }

    /// <summary>The instructions of the stage named <paramref name="name"/>, or of the last (unnamed) stage.</summary>
    private static string[] Stage(string? name)
    {
        var starts = Lines.Select((l, i) => (l, i)).Where(x => x.l.StartsWith("FROM ", StringComparison.Ordinal)).Select(x => x.i).ToList();
        var index = name is null ? starts.Count - 1 : starts.FindIndex(i => Lines[i].EndsWith($" AS {name}", StringComparison.Ordinal));
        Assert.True(index >= 0, $"no stage {name}");
        var end = index + 1 < starts.Count ? starts[index + 1] : Lines.Length;
        return Lines[starts[index]..end];
    }

    [GeneratedRegex(@"dotnet publish \S+ .*-o (\S+)")]
    private static partial Regex PublishOutput();

    [GeneratedRegex(@"<TargetFramework>net(\d+\.\d+)</TargetFramework>")]
    private static partial Regex TargetFramework();
}
