using System.Collections.Concurrent;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>Captures every log entry with its structured fields, so tests can assert on access-log lines.</summary>
public sealed class TestLog : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly SemaphoreSlim _signal = new(0);

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public IEnumerable<LogEntry> Access => _entries.Where(e => e.Category == "McProxy.Access");

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Debug);
        builder.AddProvider(this);
    });

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Waits for an entry matching <paramref name="predicate"/>; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> predicate, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var match = _entries.FirstOrDefault(predicate);
            if (match is not null)
            {
                return match;
            }

            try
            {
                await _signal.WaitAsync(TimeSpan.FromMilliseconds(50), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no matching log entry; have:\n" + string.Join("\n", _entries.Select(e => $"{e.Category} {e.Message}")));
            }
        }
    }

    public Task<LogEntry> WaitForAccessAsync(string outcome, TimeSpan? timeout = null)
        => WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Outcome") == outcome, timeout);

    public void Dispose() => _signal.Dispose();

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IReadOnlyList<KeyValuePair<string, object?>> list
                ? list.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString())
                : [];
            log._entries.Enqueue(new LogEntry(category, eventId.Id, logLevel, formatter(state, exception), fields));
            try
            {
                log._signal.Release();
            }
            catch (ObjectDisposedException)
            {
                // A server's timer (the health-check publisher) may log after the test has disposed this log: the
                // entry is kept, and no one is waiting any more. Throwing here would crash the test host.
            }
        }
    }
}

public sealed record LogEntry(string Category, int EventId, LogLevel Level, string Message, IReadOnlyDictionary<string, string?> Fields)
{
    public string? Get(string field) => Fields.TryGetValue(field, out var value) ? value : null;
}
