using McProxy.Model;
using McProxy.Routing.Pools;

namespace McProxy.Routing;

/// <summary>
/// Keeps the <see cref="HealthChecker"/>'s registrations in step with the live routes: the pool of every route with
/// a health check is registered, and when a swap replaces or removes a route, its registration is disposed and the
/// new route's pool registered. A replaced route hands its <see cref="PoolMember"/>s to the new one
/// (<see cref="RouteEntry"/>), so a member that stays keeps its health and counts: only who checks it changes.
/// </summary>
internal sealed class RouteHealthChecks(HealthChecker checker, Func<RouteEntry, HealthCheck> checkFor)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<RouteEntry, HealthCheckRegistration> _registrations = new(ReferenceEqualityComparer.Instance);
    private bool _stopped;

    /// <summary>The routes whose pools are checked now (for tests and the stop).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _registrations.Count;
            }
        }
    }

    /// <summary>Whether <paramref name="route"/>'s pool is under checks.</summary>
    public bool IsChecked(RouteEntry route)
    {
        lock (_lock)
        {
            return _registrations.ContainsKey(route);
        }
    }

    /// <summary>Registers <paramref name="listener"/>'s routes now and follows its swaps from here on.</summary>
    public void Follow(ListenerState listener)
    {
        lock (_lock)
        {
            foreach (var route in listener.Snapshot.Routes.Routes)
            {
                Register(route);
            }

            listener.Swapped = Update;
        }
    }

    /// <summary>No registration from here on (the checker is being disposed, which disposes those it has).</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            _registrations.Clear();
        }
    }

    private void Update(ListenerSnapshot previous, ListenerSnapshot next)
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            // By reference: a swap that changes only policies keeps the same RouteEntry objects and their registrations.
            var current = new HashSet<RouteEntry>(next.Routes.Routes, ReferenceEqualityComparer.Instance);
            foreach (var route in previous.Routes.Routes)
            {
                if (!current.Contains(route) && _registrations.Remove(route, out var registration))
                {
                    registration.Dispose();
                }
            }

            foreach (var route in next.Routes.Routes)
            {
                Register(route);
            }
        }
    }

    private void Register(RouteEntry route)
    {
        if (_stopped || route.Route.HealthCheck.Mode == HealthCheckMode.None || _registrations.ContainsKey(route))
        {
            return;
        }

        _registrations.Add(route, checker.Register(route.Pool, checkFor(route)));
    }
}
