using System.Collections.Immutable;
using System.Runtime.InteropServices;
using McProxy.Model;

namespace McProxy.Routing.Pools;

/// <summary>
/// A route's backends and how to choose among them. The member list never changes (a route change builds a new
/// pool, and may hand it the same <see cref="PoolMember"/>s to keep their state); the members' admin state,
/// health and counts change underneath, so every pick reads them fresh.
/// </summary>
/// <remarks>
/// A pick skips what is not usable (drained, disabled, down) and what this attempt already tried: the data path
/// passes the same <c>tried</c> mask to each <see cref="TryAcquire(ref ulong, out PoolLease)"/> after a failed
/// connect, so one connection tries each member at most once. The pick allocates nothing and takes no lock.
/// </remarks>
internal sealed class BackendPool
{
    /// <summary>64: the tried set is one <see cref="ulong"/> per attempt. The route rules refuse a larger pool.</summary>
    public const int MaxMembers = RouteRules.MaxBackends;

    private readonly PoolMember[] _members;
    private int _cursor = -1;

    public BackendPool(IEnumerable<PoolMember> members, BalanceAlgorithm balance)
    {
        _members = [.. members];
        if (_members.Length is 0 or > MaxMembers)
        {
            throw new ArgumentException($"a pool has 1 to {MaxMembers} members, not {_members.Length}", nameof(members));
        }

        Members = ImmutableCollectionsMarshal.AsImmutableArray(_members);
        Balance = balance;
    }

    public ImmutableArray<PoolMember> Members { get; }

    public BalanceAlgorithm Balance { get; }

    /// <summary>Picks a usable member not yet tried, marks it tried and leases it; false when none is left.</summary>
    /// <param name="tried">This attempt's members so far, by index bit; start at 0 for each new connection.</param>
    /// <param name="lease">The lease, to dispose when the connection (or request) ends or its connect fails.</param>
    public bool TryAcquire(ref ulong tried, out PoolLease lease)
    {
        // A member can turn unusable between the choice and the count (an operator's drain). Count first, then look
        // again: with SetAdminState's fence, a drain that saw no connection can trust that none comes after it.
        while (TryChoose(tried, out var index))
        {
            tried |= 1UL << index;
            var member = _members[index];
            member.Acquire();
            if (member.IsUsable)
            {
                lease = new PoolLease(member);
                return true;
            }

            member.Release();
        }

        lease = default;
        return false;
    }

    /// <summary>A single pick, for callers that will not retry.</summary>
    public bool TryAcquire(out PoolLease lease)
    {
        ulong tried = 0;
        return TryAcquire(ref tried, out lease);
    }

    /// <summary>
    /// Members usable now and not in <paramref name="tried"/>: what the next <see cref="TryAcquire(ref ulong, out PoolLease)"/>
    /// may still pick from (L4 shares what is left of connect_timeout among them).
    /// </summary>
    public int CountUsable(ulong tried = 0)
    {
        var count = 0;
        for (var i = 0; i < _members.Length; i++)
        {
            if (IsCandidate(i, tried))
            {
                count++;
            }
        }

        return count;
    }

    private bool TryChoose(ulong tried, out int index)
    {
        var count = _members.Length;
        if (Balance == BalanceAlgorithm.First)
        {
            for (var i = 0; i < count; i++)
            {
                if (IsCandidate(i, tried))
                {
                    index = i;
                    return true;
                }
            }

            index = -1;
            return false;
        }

        // Round robin and the tie-break of least connections both start the scan one place further each pick.
        var start = (int)((uint)Interlocked.Increment(ref _cursor) % (uint)count);
        index = -1;
        var fewest = int.MaxValue;
        for (var step = 0; step < count; step++)
        {
            var i = start + step;
            if (i >= count)
            {
                i -= count;
            }

            if (!IsCandidate(i, tried))
            {
                continue;
            }

            if (Balance == BalanceAlgorithm.RoundRobin)
            {
                index = i;
                return true;
            }

            var active = _members[i].ActiveConnections;
            if (active < fewest)
            {
                fewest = active;
                index = i;
            }
        }

        return index >= 0;
    }

    private bool IsCandidate(int index, ulong tried) => (tried & (1UL << index)) == 0 && _members[index].IsUsable;
}
