namespace McProxy.Logging;

/// <summary>One category's logger behind <see cref="GuardedLoggerProvider"/>: demotes client faults and YARP's reports of a request body cut short after the backend answered, then lets the flood gate count.</summary>
internal sealed class GuardedLogger(string category, ILogger inner, LogFloodGate gate, bool debugEnabled) : ILogger
{
    /// <summary>
    /// Start-up and stop reports (listeners, routes, config warnings) list one thing per line and are not driven by
    /// clients, so they are not summarised; the listener's accept back-off is (an EMFILE under a flood of clients).
    /// </summary>
    private readonly bool _summarised = category != LogCategories.Server;

    private const int AcceptBackoff = 11;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var demoted = false;
        if (logLevel > LogLevel.Debug
            && (ClientFaults.IsClientFault(category, eventId, exception) || AnsweredForwards.IsAnsweredBodyError(category, eventId, state, exception)))
        {
            if (!debugEnabled)
            {
                return;
            }

            logLevel = LogLevel.Debug;
            demoted = true;
        }

        // Debug lines are the operator's explicit choice and are left whole, except demoted client faults: each
        // carries a stack trace, and a flood would still fill the disk.
        var summarised = (logLevel > LogLevel.Debug || demoted) && (_summarised || eventId.Id == AcceptBackoff);
        if (summarised && !gate.TryPass(category, eventId, logLevel, inner))
        {
            return;
        }

        inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
