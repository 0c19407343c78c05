namespace McProxy.Tests.TestInfrastructure;

/// <summary>Files of this checkout (deploy/, the Makefile, the example config) for tests about what ships.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "McProxy.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no McProxy.slnx above {AppContext.BaseDirectory}");
    });

    public static string Root => RootPath.Value;

    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);
}
