using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Routing;

/// <summary>
/// The route targets (the L4 relay, the L7 hand-off) and the routing layer see a connection only through the
/// interfaces in Routing/ (IRouteTarget, IConnectionView, IConnectionPhases). A reference back to the listener's
/// namespace would bring back the Listener-Relay and Listener-Http cycles that handing them ProxyConnection made.
/// </summary>
public sealed class RouteTargetDependencyTests
{
    [Theory]
    [InlineData("Relay")]
    [InlineData("Http")]
    [InlineData("Routing")]
    public void SourceFolder_BelowTheListener_NeverNamesTheListenerNamespace(string folder)
    {
        var files = Directory.EnumerateFiles(RepositoryPaths.Get("src", "McProxy", folder), "*.cs", SearchOption.AllDirectories).ToList();
        var offenders = files
            .Where(path => File.ReadAllText(path).Contains("McProxy.Listener", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(RepositoryPaths.Root, path))
            .ToList();

        Assert.NotEmpty(files);
        Assert.Empty(offenders);
    }

    [Fact]
    public void ListenerFolder_NamesItsNamespace_SoTheCheckAboveCanFail()
    {
        var files = Directory.EnumerateFiles(RepositoryPaths.Get("src", "McProxy", "Listener"), "*.cs");

        Assert.Contains(files, path => File.ReadAllText(path).Contains("McProxy.Listener", StringComparison.Ordinal));
    }
}
