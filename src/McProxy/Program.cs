namespace McProxy;

internal static class Program
{
    public static Task<int> Main(string[] args) => Cli.McProxyCli.RunAsync(args);
}
