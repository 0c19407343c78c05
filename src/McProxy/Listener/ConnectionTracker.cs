using System.Collections.Concurrent;

namespace McProxy.Listener;

/// <summary>
/// Every open connection, for the global limit, the deadlines and the drain. One sweeper enforces all deadlines
/// (hello, connect, idle) instead of a timer per connection: a connection costs no timer, and the sweep is a
/// cheap walk at a tenth of the shortest timeout.
/// </summary>
internal sealed class ConnectionTracker
{
    private readonly ConcurrentDictionary<long, ProxyConnection> _connections = new();
    private readonly int _maxConnections;
    private long _nextId;
    private int _count;
    private int _unfinished;

    public ConnectionTracker(int maxConnections, TimeSpan shortestTimeout)
    {
        _maxConnections = maxConnections;
        SweepInterval = TimeSpan.FromMilliseconds(Math.Clamp(shortestTimeout.TotalMilliseconds / 10, 20, 1000));
    }

    public TimeSpan SweepInterval { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Connections accepted whose access-log line is not yet written: what the drain waits for.</summary>
    public int Unfinished => Volatile.Read(ref _unfinished);

    /// <summary>A connection was accepted: its id, and the drain now waits for its access line (<see cref="Finished"/>).</summary>
    public long NextId()
    {
        Interlocked.Increment(ref _unfinished);
        return Interlocked.Increment(ref _nextId);
    }

    /// <summary>
    /// The connection's access line is written. Counted apart from <see cref="Remove"/>, which frees the limit's slot
    /// before the line is written: a drain that waited only for the slots could let the process exit between the two
    /// and lose the line (SPEC: exactly one line per connection).
    /// </summary>
    public void Finished() => Interlocked.Decrement(ref _unfinished);

    /// <summary>False when the global limit is reached; the connection is then not tracked.</summary>
    public bool TryAdd(ProxyConnection connection)
    {
        if (Interlocked.Increment(ref _count) > _maxConnections && _maxConnections > 0)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _connections[connection.Id] = connection;
        return true;
    }

    public void Remove(ProxyConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    public async Task RunSweeperAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = Environment.TickCount64;
                foreach (var entry in _connections)
                {
                    entry.Value.CheckDeadline(now);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Waits until every connection has closed and written its access line, or <paramref name="timeout"/> passes; true when drained.</summary>
    public async Task<bool> WaitForDrainAsync(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Unfinished > 0)
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    public void AbortAll(string outcome)
    {
        foreach (var entry in _connections)
        {
            entry.Value.Abort(outcome);
        }
    }
}
