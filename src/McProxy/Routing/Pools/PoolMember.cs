using System.Net;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Routing.Pools;

/// <summary>
/// One backend of a pool: its address, what an operator set on it, its health and its counters. Shared by every
/// thread that picks from the pool; the pick path reads two volatile ints and does one interlocked add.
/// </summary>
/// <remarks>
/// Health starts up, with <see cref="HealthPolicy.Fall"/> failures needed to take it down: a member of a freshly
/// loaded route takes traffic at once, as a server without a check result does in HAProxy, instead of the whole
/// route answering <c>no_backend</c> until <see cref="HealthPolicy.Rise"/> checks have passed. A dead one is out
/// within fall checks, and a failed connect is retried on the next member meanwhile.
/// </remarks>
internal sealed class PoolMember
{
    private readonly Lock _health = new();
    private readonly TimeProvider _time;
    private readonly Action<HealthTransition>? _healthChanged;
    private volatile int _adminState = (int)BackendAdminState.Enabled;
    private volatile bool _up = true;
    private int _consecutive;
    private long _lastPassiveFailure;
    private bool _anyPassiveFailure;
    private int _activeConnections;
    private long _failedConnects;
    private long _checksPassed;
    private long _checksFailed;

    public PoolMember(HostPort address, HealthPolicy policy, Action<HealthTransition>? healthChanged = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.Rise, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.Fall, 1);
        Address = address;
        EndPoint = IPAddress.TryParse(address.Host, out var ip) ? new IPEndPoint(ip, address.Port) : new DnsEndPoint(address.Host, address.Port);
        Policy = policy;
        _healthChanged = healthChanged;
        _time = time ?? TimeProvider.System;
    }

    public HostPort Address { get; }

    /// <summary>An <see cref="IPEndPoint"/> for an IP literal, else a <see cref="DnsEndPoint"/> resolved at each dial.</summary>
    public EndPoint EndPoint { get; }

    public HealthPolicy Policy { get; }

    public BackendAdminState AdminState => (BackendAdminState)_adminState;

    /// <summary>Whether health checks (active, or failed connects) find it alive.</summary>
    public bool IsUp => _up;

    /// <summary>Enabled and up: may take a new connection.</summary>
    public bool IsUsable => _adminState == (int)BackendAdminState.Enabled && _up;

    /// <summary>Connections (L4) or requests (L7) holding a <see cref="PoolLease"/> on it now.</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Connects from the data path that failed or timed out, since it was created.</summary>
    public long FailedConnects => Interlocked.Read(ref _failedConnects);

    public long ChecksPassed => Interlocked.Read(ref _checksPassed);

    public long ChecksFailed => Interlocked.Read(ref _checksFailed);

    /// <summary>
    /// Sets the admin state. A full fence: once this returns, a picker either sees the new state or has already
    /// counted its connection in <see cref="ActiveConnections"/>, so "drain, then wait for zero" misses nobody.
    /// </summary>
    public void SetAdminState(BackendAdminState state) => Interlocked.Exchange(ref _adminState, (int)state);

    /// <summary>Records an active check's result; raises the transition if this one decided a change.</summary>
    public void RecordCheck(bool passed, string reason)
    {
        Interlocked.Increment(ref passed ? ref _checksPassed : ref _checksFailed);
        HealthTransition? change;
        lock (_health)
        {
            change = Count(passed, reason, passive: false);
        }

        Raise(change);
    }

    /// <summary>
    /// A connect on the data path failed or timed out (HAProxy's <c>observe layer4</c>). It always counts in
    /// <see cref="FailedConnects"/>; it counts as a failed check only with <see cref="HealthPolicy.PassiveMarking"/>,
    /// only while up, and at most once per <see cref="HealthPolicy.PassiveInterval"/>: a burst of failures is one
    /// piece of evidence, and only active checks bring a member back, so it cannot flap faster than they would.
    /// </summary>
    public void RecordConnectFailure(string reason)
    {
        Interlocked.Increment(ref _failedConnects);
        if (!Policy.PassiveMarking || !_up)
        {
            return;
        }

        HealthTransition? change = null;
        lock (_health)
        {
            var now = _time.GetTimestamp();
            if (!_anyPassiveFailure || _time.GetElapsedTime(_lastPassiveFailure, now) >= Policy.PassiveInterval)
            {
                _anyPassiveFailure = true;
                _lastPassiveFailure = now;
                change = Count(passed: false, reason, passive: true);
            }
        }

        Raise(change);
    }

    internal void Acquire() => Interlocked.Increment(ref _activeConnections);

    internal void Release() => Interlocked.Decrement(ref _activeConnections);

    public override string ToString() => Address.ToString();

    /// <summary>The rise/fall counting, under <see cref="_health"/>: a result against the current health counts, one for it resets.</summary>
    private HealthTransition? Count(bool passed, string reason, bool passive)
    {
        if (passed == _up)
        {
            _consecutive = 0;
            return null;
        }

        _consecutive++;
        var needed = _up ? Policy.Fall : Policy.Rise;
        if (_consecutive < needed)
        {
            return null;
        }

        var checks = _consecutive;
        _consecutive = 0;
        _up = passed;
        return new HealthTransition(this, passed, checks, reason, passive);
    }

    private void Raise(HealthTransition? change)
    {
        if (change is { } transition)
        {
            _healthChanged?.Invoke(transition);
        }
    }
}
