namespace McProxy.Cli;

internal static class McProxyCli
{
    public static Task<int> RunAsync(string[] args) => Task.FromResult(args.Length);
}
