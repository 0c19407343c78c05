using System.Net;
using McProxy.Http.Policies;
using McProxy.Metrics;
using McProxy.Net;
using McProxy.Store;

namespace McProxy.Routing;

/// <summary>A listener's live state: its settings, its current route table and its connection counters.</summary>
internal sealed class ListenerState
{
    private RouteTable _routes;
    private L7PolicyTable _policies = L7PolicyTable.Empty;
    private int _active;
    private long _total;

    public ListenerState(StoredListener listener, IPEndPoint bindEndPoint, RouteTable routes, ListenerMetrics? metrics = null)
    {
        Listener = listener;
        BindEndPoint = bindEndPoint;
        _routes = routes;
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

    public StoredListener Listener { get; }

    public long Id => Listener.Id;

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

    public RouteTable Routes => Volatile.Read(ref _routes);

    /// <summary>The L7 policies of this listener's routes; read per request, so changes apply to the next one.</summary>
    public L7PolicyTable Policies => Volatile.Read(ref _policies);

    public int ActiveConnections => Volatile.Read(ref _active);

    public long TotalConnections => Interlocked.Read(ref _total);

    /// <summary>Applies <paramref name="change"/> atomically; concurrent changes retry rather than lose each other.</summary>
    public void UpdateRoutes(Func<RouteTable, RouteTable> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _routes);
            if (Interlocked.CompareExchange(ref _routes, change(current), current) == current)
            {
                return;
            }
        }
    }

    /// <summary>Applies <paramref name="change"/> to the policy table atomically, as <see cref="UpdateRoutes"/> does.</summary>
    public void UpdatePolicies(Func<L7PolicyTable, L7PolicyTable> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _policies);
            if (Interlocked.CompareExchange(ref _policies, change(current), current) == current)
            {
                return;
            }
        }
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
