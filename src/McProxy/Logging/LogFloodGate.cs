namespace McProxy.Logging;

/// <summary>
/// Summarises floods of one event: per (category, event id), the first <see cref="Burst"/> lines of a
/// <see cref="Window"/> are written, the rest are counted, and when the window ends one line says how many more
/// there were ("N more like this in the last 10 s"). The table has a fixed number of entries: an event that finds
/// it full takes the entry whose window started longest ago, whose count is written out first. So memory never
/// grows, and however an event repeats it costs at most <see cref="Burst"/> + 1 lines per window; the events that
/// can be logged are the code's, a fixed set, so a client cannot make new keys. Thread-safe; the lock is taken
/// only for lines that are written (the access log is not routed through it).
/// </summary>
internal sealed class LogFloodGate : IDisposable
{
    /// <summary>Distinct events tracked at once: more than the events a flood can touch at one time.</summary>
    public const int DefaultCapacity = 64;

    /// <summary>Lines of one event written per window before the rest are only counted.</summary>
    public const int Burst = 3;

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly Entry[] _entries;
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly long _windowTicks;
    private readonly ITimer _timer;
    private bool _timerArmed;
    private bool _disposed;

    public LogFloodGate(TimeProvider? time = null, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time ?? TimeProvider.System;
        _windowTicks = (long)(Window.TotalSeconds * _time.TimestampFrequency);
        _entries = new Entry[capacity];
        _timer = _time.CreateTimer(static state => ((LogFloodGate)state!).FlushDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Entries in use: never more than the capacity.</summary>
    public int Tracked
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count(e => e.Category is not null);
            }
        }
    }

    public int Capacity => _entries.Length;

    /// <summary>
    /// Counts one line of (<paramref name="category"/>, <paramref name="eventId"/>) about to be written to
    /// <paramref name="output"/>; false when it is over this window's burst and must be dropped. A summary that came
    /// due (this event's previous window, or an evicted entry's) is written first.
    /// </summary>
    public bool TryPass(string category, EventId eventId, LogLevel level, ILogger output)
    {
        FloodSummary? due = null;
        bool pass;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var index = Find(category, eventId.Id);
            if (index < 0)
            {
                index = Victim(now);
                due = Take(ref _entries[index]);
                _entries[index] = new Entry { Category = category, EventId = eventId, Output = output, WindowStart = now };
            }

            ref var entry = ref _entries[index];
            if (now - entry.WindowStart >= _windowTicks)
            {
                due ??= Take(ref entry);
                entry.WindowStart = now;
                entry.Written = 0;
            }

            pass = entry.Written < Burst;
            if (pass)
            {
                entry.Written++;
            }
            else
            {
                entry.Suppressed++;
                entry.Level = entry.Suppressed == 1 || level > entry.Level ? level : entry.Level;
                entry.Output = output;
                ArmTimer(entry.WindowStart + _windowTicks - now);
            }
        }

        due?.Write();
        return pass;
    }

    /// <summary>Writes the summaries of windows that have ended (the timer's work; tests call it after moving the clock).</summary>
    public void FlushDue() => Flush(all: false);

    /// <summary>Writes every pending summary, as the process stops.</summary>
    public void Dispose()
    {
        Flush(all: true);
        lock (_lock)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }

    private void Flush(bool all)
    {
        List<FloodSummary>? due = null;
        lock (_lock)
        {
            _timerArmed = false;
            var now = _time.GetTimestamp();
            var next = long.MaxValue;
            for (var i = 0; i < _entries.Length; i++)
            {
                ref var entry = ref _entries[i];
                if (entry.Suppressed == 0)
                {
                    continue;
                }

                var end = entry.WindowStart + _windowTicks;
                if (all || now >= end)
                {
                    (due ??= []).Add(Take(ref entry)!);
                }
                else
                {
                    next = Math.Min(next, end - now);
                }
            }

            if (next != long.MaxValue)
            {
                ArmTimer(next);
            }
        }

        foreach (var summary in due ?? [])
        {
            summary.Write();
        }
    }

    private int Find(string category, int eventId)
    {
        for (var i = 0; i < _entries.Length; i++)
        {
            ref var entry = ref _entries[i];
            if (entry.EventId.Id == eventId && string.Equals(entry.Category, category, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>An empty entry, else the one whose window started longest ago.</summary>
    private int Victim(long now)
    {
        var victim = 0;
        var oldest = long.MaxValue;
        for (var i = 0; i < _entries.Length; i++)
        {
            ref var entry = ref _entries[i];
            if (entry.Category is null)
            {
                return i;
            }

            if (now - entry.WindowStart >= _windowTicks && entry.Suppressed == 0)
            {
                return i;
            }

            if (entry.WindowStart < oldest)
            {
                oldest = entry.WindowStart;
                victim = i;
            }
        }

        return victim;
    }

    /// <summary>The entry's pending summary, if it suppressed anything, and its count reset.</summary>
    private static FloodSummary? Take(ref Entry entry)
    {
        if (entry.Suppressed == 0 || entry.Category is null)
        {
            return null;
        }

        var summary = new FloodSummary(entry.Output!, entry.Level, entry.EventId, entry.Suppressed, (int)Window.TotalSeconds);
        entry.Suppressed = 0;
        return summary;
    }

    private void ArmTimer(long ticks)
    {
        if (_timerArmed || _disposed)
        {
            return;
        }

        _timerArmed = true;
        var due = TimeSpan.FromSeconds((double)Math.Max(ticks, 0) / _time.TimestampFrequency) + TimeSpan.FromMilliseconds(10);
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private struct Entry
    {
        public string? Category;
        public EventId EventId;
        public long WindowStart;
        public int Written;
        public int Suppressed;
        public LogLevel Level;
        public ILogger? Output;
    }
}
