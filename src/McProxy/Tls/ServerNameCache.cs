using System.Collections.Concurrent;

namespace McProxy.Tls;

/// <summary>
/// The server names seen in ClientHellos, kept as strings so that parsing the hello of a known name allocates
/// nothing: a proxy sees the same few names over and over. Bounded, because names come from unvetted clients:
/// once full, a new name is allocated per hello as if there were no cache, and nothing is evicted (evicting would
/// let a flood of made-up names push the real ones out, and cost a lock or a clock on every hello).
/// </summary>
/// <remarks>
/// One cache per process (<see cref="Shared"/>), not per server, on purpose: it holds interned copies of names and
/// nothing else, so what one server put in it can change no answer of another, only save it an allocation; the
/// parser that uses it is a pure function over bytes with nothing to carry a per-server cache; and its bound holds
/// for the process, whatever number of servers run in it (the tests start many).
/// </remarks>
internal sealed class ServerNameCache
{
    /// <summary>4096 names: far more than a listener has routes; at most about 1 MiB of strings when full of 253-character names.</summary>
    public const int DefaultCapacity = 4096;

    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    private int _reserved;

    public ServerNameCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _byChars = _names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The cache the ClientHello parser uses.</summary>
    public static ServerNameCache Shared { get; } = new();

    /// <summary>How many names it keeps at most.</summary>
    public int Capacity { get; }

    /// <summary>How many names it keeps now.</summary>
    public int Count => _names.Count;

    /// <summary>The cached string equal to <paramref name="name"/>, or a new one (kept while there is room).</summary>
    public string Get(ReadOnlySpan<char> name)
    {
        if (_byChars.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var created = new string(name);
        // The count is an upper bound reserved before adding; a lost race only leaves a slot unused.
        if (Volatile.Read(ref _reserved) < Capacity && Interlocked.Increment(ref _reserved) <= Capacity)
        {
            _names.TryAdd(created, created);
        }

        return created;
    }
}
