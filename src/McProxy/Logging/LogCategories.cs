namespace McProxy.Logging;

/// <summary>
/// Which level each log category is written at, from <c>[log] level</c>: mc-proxy's own categories at the level,
/// the framework's (Kestrel, ASP.NET Core, YARP, gRPC) at Warning or above, since mc-proxy writes its own access
/// lines and the framework would log every request and connection again. One place, read both by the logger
/// factory's filters and by <see cref="GuardedLoggerProvider"/> when it demotes an event.
/// </summary>
internal static class LogCategories
{
    /// <summary>The access log: one line per connection and per L7 request, by contract, never summarised.</summary>
    public const string Access = "McProxy.Access";

    /// <summary>Start, stop and configuration reports: the operator's doing, each line naming a different thing.</summary>
    public const string Server = "McProxy.Server";

    /// <summary>Kestrel's categories (…Kestrel, …Kestrel.Connections, …Kestrel.Http2, …Kestrel.BadRequests): it sees only the client side.</summary>
    public const string Kestrel = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>
    /// ASP.NET Core's request start/stop lines duplicate mc-proxy's own; while that category is enabled at all,
    /// hosting also starts an Activity and a log scope for every L7 request, which no one reads. Off at every level.
    /// </summary>
    public const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// The generic host's lifetime lines. Its one line above debug, "Hosting failed to start" with a stack trace, comes
    /// with an exception that mc-proxy rethrows and reports itself (`could not start: ...`, naming the key), so the
    /// trace is written only at debug.
    /// </summary>
    public const string GenericHost = "Microsoft.Extensions.Hosting";

    public static readonly string[] Framework = ["Microsoft", "System", "Yarp", "Grpc"];

    /// <summary>The lowest level written for <paramref name="category"/> when the server runs at <paramref name="configured"/>.</summary>
    public static LogLevel Minimum(LogLevel configured, string category)
    {
        if (category.StartsWith(HostingDiagnostics, StringComparison.Ordinal))
        {
            return LogLevel.None;
        }

        if (category.StartsWith(GenericHost, StringComparison.Ordinal))
        {
            return configured <= LogLevel.Debug ? configured : LogLevel.None;
        }

        foreach (var prefix in Framework)
        {
            if (category.StartsWith(prefix, StringComparison.Ordinal))
            {
                return configured > LogLevel.Warning ? configured : LogLevel.Warning;
            }
        }

        return configured;
    }
}
