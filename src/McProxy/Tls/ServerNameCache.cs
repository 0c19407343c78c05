using System.Collections.Concurrent;

namespace McProxy.Tls;

/// <summary>
/// The server names seen in ClientHellos, kept as strings so that parsing the hello of a known name allocates
/// nothing: a proxy sees the same few names over and over. Bounded, because names come from unvetted clients:
/// once full, a new name is allocated per hello as if there were no cache, and nothing is evicted.
/// </summary>
internal static class ServerNameCache
{
    /// <summary>4096 names: far more than a listener has routes; at most about 1 MiB of strings when full of 253-character names.</summary>
    public const int Capacity = 4096;

    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> ByChars = Names.GetAlternateLookup<ReadOnlySpan<char>>();
    private static int _count;

    public static string Get(ReadOnlySpan<char> name)
    {
        if (ByChars.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var created = new string(name);
        // The count is an upper bound reserved before adding; a lost race only leaves a slot unused.
        if (Volatile.Read(ref _count) < Capacity && Interlocked.Increment(ref _count) <= Capacity)
        {
            Names.TryAdd(created, created);
        }

        return created;
    }
}
