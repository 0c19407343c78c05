using System.Collections.Frozen;
using McProxy.Model;

namespace McProxy.Routing;

/// <summary>
/// A listener's L7 policies, by route hostname: an immutable snapshot swapped atomically, like the route table.
/// Requests read it afresh, so a policy added or removed applies to the very next request, also on HTTP/1.1
/// keep-alive and HTTP/2 connections opened before the change.
/// </summary>
internal sealed class L7PolicyTable
{
    public static readonly L7PolicyTable Empty = new(FrozenDictionary<string, L7Policy[]>.Empty);

    private readonly FrozenDictionary<string, L7Policy[]> _byHostname;

    private L7PolicyTable(FrozenDictionary<string, L7Policy[]> byHostname) => _byHostname = byHostname;

    /// <summary>Policies of each hostname, in the order given (their evaluation order).</summary>
    public static L7PolicyTable Create(IEnumerable<KeyValuePair<string, IEnumerable<L7Policy>>> policies)
        => new(policies
            .Select(p => KeyValuePair.Create(p.Key, p.Value.ToArray()))
            .Where(p => p.Value.Length > 0)
            .ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));

    /// <summary>The policies of <paramref name="hostname"/>, in evaluation order; empty when it has none.</summary>
    public IReadOnlyList<L7Policy> For(string hostname)
        => _byHostname.TryGetValue(hostname, out var policies) ? policies : [];

    public int Count => _byHostname.Values.Sum(p => p.Length);

    /// <summary>A copy where <paramref name="hostname"/> has exactly <paramref name="policies"/> (none: removed).</summary>
    public L7PolicyTable With(string hostname, IEnumerable<L7Policy> policies)
        => Create(_byHostname
            .Where(p => !string.Equals(p.Key, hostname, StringComparison.OrdinalIgnoreCase))
            .Select(p => KeyValuePair.Create(p.Key, p.Value.AsEnumerable()))
            .Append(KeyValuePair.Create(hostname, policies)));

    public L7PolicyTable Without(string hostname) => With(hostname, []);
}
