using System.Net;

namespace McProxy.Firewall;

/// <summary>
/// Per-IP new-connection limit over a fixed window, in a table of fixed capacity: memory stays at
/// <see cref="Capacity"/> slots (32 bytes each: 2 MiB at the default) however many distinct addresses connect.
/// The table is set-associative: an address hashes (with the process's random seed, so a sender cannot aim at one
/// set) to a set of <see cref="Ways"/> slots; a new address takes an empty slot, else one whose window has ended,
/// else the one whose window started longest ago. Under a flood of more distinct addresses than slots an active
/// counter can be evicted, which lets its address start a new window early: the limit bends, memory does not.
/// A fixed window lets an address make up to twice the limit across a window boundary; the limit is a brake on
/// hammering, not an exact quota.
/// </summary>
internal sealed class RateLimiter
{
    /// <summary>65536 slots: every address of a busy node's recent past, at 2 MiB.</summary>
    public const int DefaultCapacity = 65536;

    /// <summary>Slots per set: a collision must fill eight slots before it evicts a live counter.</summary>
    public const int Ways = 8;

    private readonly Slot[] _slots;
    private readonly Lock[] _locks;
    private readonly int _setMask;
    private readonly int _limit;
    private readonly long _windowTicks;
    private readonly TimeProvider _time;

    public RateLimiter(int limit, TimeSpan window, int capacity = DefaultCapacity, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, Ways);
        _limit = limit;
        _time = time ?? TimeProvider.System;
        _windowTicks = (long)(window.TotalSeconds * _time.TimestampFrequency);
        var sets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(capacity / Ways));
        _setMask = sets - 1;
        _slots = new Slot[sets * Ways];
        _locks = new Lock[Math.Min(sets, 1024)];
        for (var i = 0; i < _locks.Length; i++)
        {
            _locks[i] = new Lock();
        }
    }

    /// <summary>Slots in the table: the most addresses tracked at once.</summary>
    public int Capacity => _slots.Length;

    public int Limit => _limit;

    /// <summary>Counts a new connection from <paramref name="address"/>; false when it is over the limit in this window.</summary>
    public bool TryAcquire(IPAddress address)
    {
        var key = IpKey.Get(address);
        var now = _time.GetTimestamp();
        var set = HashCode.Combine((ulong)(key >> 64), (ulong)key) & _setMask;
        var first = set * Ways;
        lock (_locks[set & (_locks.Length - 1)])
        {
            var victim = first;
            var victimRank = long.MaxValue;
            for (var i = first; i < first + Ways; i++)
            {
                ref var slot = ref _slots[i];
                var expired = now - slot.WindowStart >= _windowTicks;
                if (slot.Count != 0 && slot.Key == key)
                {
                    if (expired)
                    {
                        slot.WindowStart = now;
                        slot.Count = 1;
                        return true;
                    }

                    if (slot.Count >= _limit)
                    {
                        return false;
                    }

                    slot.Count++;
                    return true;
                }

                // Empty first, then an ended window, then the oldest live one.
                var rank = slot.Count == 0 ? long.MinValue : expired ? long.MinValue + 1 : slot.WindowStart;
                if (rank < victimRank)
                {
                    victim = i;
                    victimRank = rank;
                }
            }

            _slots[victim] = new Slot { Key = key, WindowStart = now, Count = 1 };
            return true;
        }
    }

    /// <summary>Slots in use now (a scan of the table; for tests and diagnostics, not the hot path).</summary>
    public int CountTracked()
    {
        var count = 0;
        for (var set = 0; set <= _setMask; set++)
        {
            lock (_locks[set & (_locks.Length - 1)])
            {
                for (var i = set * Ways; i < (set + 1) * Ways; i++)
                {
                    if (_slots[i].Count != 0)
                    {
                        count++;
                    }
                }
            }
        }

        return count;
    }

    private struct Slot
    {
        public UInt128 Key;
        public long WindowStart;
        public int Count;
    }
}
