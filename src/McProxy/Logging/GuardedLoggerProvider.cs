namespace McProxy.Logging;

/// <summary>
/// Wraps the console provider so that no client can fill the disk through the log (SPEC §6, "Logs under attack"):
/// what a client does wrong is written at Debug, never above (<see cref="ClientFaults"/>), and a flood of any one
/// event, ours or the framework's, becomes a few lines and a count (<see cref="LogFloodGate"/>). The access log is
/// left alone: one line per connection and per request is its contract, and admission limits bound it.
/// </summary>
internal sealed class GuardedLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ILoggerProvider _inner;
    private readonly Func<string, LogLevel> _minimum;
    private readonly LogFloodGate _gate;

    /// <param name="inner">Where lines are written.</param>
    /// <param name="minimum">The level each category is written at, as the factory's filters have it: a demoted event is written only if Debug is.</param>
    /// <param name="time">The clock of the flood windows.</param>
    public GuardedLoggerProvider(ILoggerProvider inner, Func<string, LogLevel> minimum, TimeProvider? time = null)
    {
        _inner = inner;
        _minimum = minimum;
        _gate = new LogFloodGate(time);
    }

    internal LogFloodGate Gate => _gate;

    public ILogger CreateLogger(string categoryName)
    {
        var inner = _inner.CreateLogger(categoryName);
        return categoryName == LogCategories.Access
            ? inner
            : new GuardedLogger(categoryName, inner, _gate, _minimum(categoryName) <= LogLevel.Debug);
    }

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (_inner is ISupportExternalScope scopes)
        {
            scopes.SetScopeProvider(scopeProvider);
        }
    }

    public void Dispose()
    {
        // Pending counts first, while the console logger can still write them.
        _gate.Dispose();
        _inner.Dispose();
    }
}
