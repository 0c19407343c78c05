using System.Net;
using McProxy.Metrics;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Routing;

/// <summary>
/// A listener's live state: its settings, its current <see cref="ListenerSnapshot"/> (route table and policies) and
/// its connection counters. Only <see cref="RoutingState"/> swaps the snapshot, under its mutation lock.
/// </summary>
internal sealed class ListenerState
{
    private ListenerSnapshot _snapshot;
    private int _active;
    private long _total;

    public ListenerState(ListenerSettings listener, IPEndPoint bindEndPoint, ListenerSnapshot snapshot, ListenerMetrics? metrics = null)
    {
        Listener = listener;
        BindEndPoint = bindEndPoint;
        _snapshot = snapshot;
        Metrics = metrics ?? new ProxyMetrics().ForListener(listener.Addr);
        var trusted = new List<IPNetwork>(listener.TrustedProxies.Count);
        foreach (var entry in listener.TrustedProxies)
        {
            if (!IpRanges.TryParse(entry, out var network))
            {
                throw new ArgumentException($"listener {listener.Addr}: trusted_proxies entry \"{entry}\" is not an address or CIDR", nameof(listener));
            }

            trusted.Add(network);
        }

        TrustedProxies = trusted;
    }

    public ListenerMetrics Metrics { get; }

    public ListenerSettings Listener { get; }

    /// <summary>The listener's name: its address as configured.</summary>
    public string Addr => Listener.Addr;

    public IPEndPoint BindEndPoint { get; }

    /// <summary>Who may send a PROXY header, parsed once; empty: anyone (when proxy_protocol is on).</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; }

    /// <summary>True when <paramref name="peer"/> (normalized: IPv4-mapped as IPv4) may send a PROXY header here.</summary>
    public bool IsTrustedProxy(IPAddress peer)
    {
        if (TrustedProxies.Count == 0)
        {
            return true;
        }

        foreach (var network in TrustedProxies)
        {
            if (network.Contains(peer))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The bound address once listening (differs from <see cref="BindEndPoint"/> for port 0).</summary>
    public IPEndPoint? LocalEndPoint { get; set; }

    /// <summary>
    /// The route table and policies in force: read once per connection (its route) and once per L7 request (its
    /// policies), so a change applies to the next connection or request and never tears a pair.
    /// </summary>
    public ListenerSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public int ActiveConnections => Volatile.Read(ref _active);

    public long TotalConnections => Interlocked.Read(ref _total);

    /// <summary>
    /// Called after each <see cref="Swap"/> with the snapshot replaced and the one now in force, under the caller's
    /// ordering (<see cref="RoutingState"/>'s lock): the health checks follow the routes' pools from here.
    /// </summary>
    public Action<ListenerSnapshot, ListenerSnapshot>? Swapped { get; set; }

    /// <summary>Puts <paramref name="next"/> in force. <see cref="RoutingState"/> calls it after the store has committed.</summary>
    public void Swap(ListenerSnapshot next)
    {
        var previous = Interlocked.Exchange(ref _snapshot, next);
        Swapped?.Invoke(previous, next);
    }

    /// <summary>Counts a new connection; false (and nothing counted) when the listener is at its limit.</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _total);
        var active = Interlocked.Increment(ref _active);
        if (Listener.MaxConnections > 0 && active > Listener.MaxConnections)
        {
            Interlocked.Decrement(ref _active);
            return false;
        }

        return true;
    }

    public void Exit() => Interlocked.Decrement(ref _active);
}
