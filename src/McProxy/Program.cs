namespace McProxy;

internal static class Program
{
    /// <summary>Read once, by the runtime's socket engine, when the process first touches a socket.</summary>
    internal const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static Task<int> Main(string[] args)
    {
        // Socket continuations run on the runtime's epoll threads (one per CPU) instead of being queued to the
        // thread pool: a relayed chunk or an L7 request no longer wakes a second thread, which cost L4 about 30% and
        // L7 about half of their CPU per unit (bench/README.md). It is how HAProxy and nginx work, an event loop per
        // CPU, and it asks the same of us: nothing that runs after a socket operation may block. Work that can
        // (SQLite writes of the admin API) runs behind Kestrel's own socket transport, which hands it to the thread
        // pool. An operator can set the variable to 0 to go back to the runtime's default.
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
        }

        return Cli.McProxyCli.RunAsync(args);
    }
}
