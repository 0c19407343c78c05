namespace McProxyCtl;

internal static class Program
{
    public static Task<int> Main(string[] args) => CtlCli.RunAsync(args);
}
