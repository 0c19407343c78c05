namespace McProxy;

internal static class Program
{
    /// <summary>Read once, by the runtime's socket engine, when the process first touches a socket.</summary>
    internal const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static Task<int> Main(string[] args)
    {
        PreferInlineSocketCompletions();
        return Cli.McProxyCli.RunAsync(args);
    }

    /// <summary>
    /// Socket continuations run on the runtime's epoll threads (one per CPU) instead of being queued to the thread
    /// pool: a relayed chunk or an L7 request no longer wakes a second thread, which cost an L4 connection about a
    /// third and an L7 request about half of its CPU (bench/README.md). It is how HAProxy and nginx work, an event
    /// loop per CPU, and it asks the same of us: nothing that runs after a socket operation may block. Work that can
    /// (SQLite writes of the admin API) runs behind Kestrel's own socket transport, which hands it to the thread
    /// pool, and the logger drops lines rather than wait for standard output. An operator who set the variable
    /// (to 0, the runtime's default) keeps that setting.
    /// </summary>
    internal static void PreferInlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
        }
    }
}
