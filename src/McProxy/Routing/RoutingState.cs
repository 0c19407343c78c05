using McProxy.Config;
using McProxy.Metrics;
using McProxy.Model;
using McProxy.Net;
using McProxy.Routing.Pools;
using McProxy.Store;
using Microsoft.Data.Sqlite;

namespace McProxy.Routing;

/// <summary>
/// The one owner of live state: every listener's <see cref="ListenerSnapshot"/> and the firewall rules. It loads
/// them from the store at start, and every change after goes through it, write-through: the caller validates the
/// request first; then, under one lock that orders every mutation, the state checks, the commit to SQLite and only
/// then the swap of the live state. No two mutations interleave between their commit and their swap, so the
/// database and memory never disagree. The commit and the swap run without the caller's cancellation token: a
/// caller that gives up after the commit must not leave memory behind the database. A refused change throws a
/// <see cref="RoutingException"/>, with nothing committed or swapped.
/// </summary>
internal sealed class RoutingState : IDisposable
{
    private readonly SemaphoreSlim _mutation = new(1, 1);
    private readonly ProxyStore _store;
    private readonly Action<IReadOnlyList<FirewallRule>> _firewallRulesChanged;
    private readonly Dictionary<ListenerState, long> _listenerIds;
    private readonly HealthPolicy _health;
    private readonly Action<HealthTransition>? _healthChanged;
    private IReadOnlyList<FirewallRule> _firewallRules;

    private RoutingState(ProxyStore store, List<(ListenerState State, long Id)> listeners, IReadOnlyList<FirewallRule> firewallRules, Action<IReadOnlyList<FirewallRule>> firewallRulesChanged, HealthPolicy health,
        Action<HealthTransition>? healthChanged)
    {
        _store = store;
        _health = health;
        _healthChanged = healthChanged;
        Listeners = listeners.ConvertAll(l => l.State);
        _listenerIds = listeners.ToDictionary(l => l.State, l => l.Id);
        _firewallRules = firewallRules;
        _firewallRulesChanged = firewallRulesChanged;
    }

    /// <summary>Every listener, in the store's order; fixed at start.</summary>
    public IReadOnlyList<ListenerState> Listeners { get; }

    /// <summary>
    /// Called with each route about to be added or replaced, before the lock: the L7 host loads the route's certificate
    /// here, so the first handshake on a route added at runtime reads memory only, as one present at start does.
    /// </summary>
    public Action<RouteSettings>? PrepareRoute { get; set; }

    /// <summary>The firewall rules in force (equal to the database's), ordered by type, then value.</summary>
    public IReadOnlyList<FirewallRule> FirewallRules => Volatile.Read(ref _firewallRules);

    /// <summary>
    /// Reads the live state from the store: the firewall rules, handed to <paramref name="firewallRulesChanged"/>
    /// at once and after every committed change to them, then each listener with its routes and policies. Members of
    /// routes with a health check move by <c>health</c> (<c>[proxy] health_*</c>; SPEC's defaults when null), and
    /// raise their changes to <paramref name="healthChanged"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A listener's address in the database does not parse.</exception>
    public static RoutingState Load(ProxyStore store, ProxyMetrics metrics, Action<IReadOnlyList<FirewallRule>> firewallRulesChanged, HealthPolicy? health = null,
        Action<HealthTransition>? healthChanged = null)
    {
        health ??= HealthSettings.Policy(new ProxySettings());
        var firewallRules = store.FirewallRules.List().Select(r => r.ToRule()).ToArray();
        firewallRulesChanged(firewallRules);
        var routesByListener = store.Routes.List().ToLookup(r => r.ListenerId);
        var policies = store.L7Policies.List().ToLookup(p => p.RouteId);
        var listeners = new List<(ListenerState, long)>();
        foreach (var listener in store.Listeners.List())
        {
            if (!ListenAddress.TryParse(listener.Addr, out var endPoint, out var error))
            {
                throw new InvalidOperationException($"listener {listener.Addr} in the database: {error}");
            }

            var routes = routesByListener[listener.Id];
            var snapshot = new ListenerSnapshot(
                new RouteTable(routes.Select(r => new RouteEntry(r.Route, HealthFor(r.Route, health), previous: null, r.BackendStates, healthChanged)), listener.DefaultRoute),
                L7PolicyTable.Create(routes.Select(r => KeyValuePair.Create(r.Hostname, policies[r.Id].Select(p => p.ToPolicy())))));
            listeners.Add((new ListenerState(listener.ToSettings(), endPoint, snapshot, metrics.ForListener(listener.Addr)), listener.Id));
        }

        return new RoutingState(store, listeners, firewallRules, firewallRulesChanged, health, healthChanged);
    }

    /// <summary>The listener named <paramref name="addr"/> (as configured, case-insensitive), or null.</summary>
    public ListenerState? FindListener(string addr)
    {
        foreach (var listener in Listeners)
        {
            if (string.Equals(listener.Addr, addr, StringComparison.OrdinalIgnoreCase))
            {
                return listener;
            }
        }

        return null;
    }

    /// <summary>The route <paramref name="hostname"/> (normalized) of <paramref name="snapshot"/>; NotFound when there is none.</summary>
    public static RouteEntry RequireRoute(ListenerState listener, ListenerSnapshot snapshot, string hostname)
        => snapshot.FindRoute(hostname)
            ?? throw new RoutingException(RoutingError.NotFound, "hostname", $"listener {listener.Addr} has no route {RuleText.Quote(hostname)}");

    /// <summary>
    /// Adds <paramref name="route"/> (validated; its listener is set here) or replaces the listener's route of the same
    /// hostname, keeping that route's policies. Returns the snapshot now in force.
    /// </summary>
    public Task<ListenerSnapshot> UpsertRouteAsync(ListenerState listener, RouteSettings route, CancellationToken cancellationToken)
    {
        PrepareRoute?.Invoke(route);
        return MutateAsync(async () =>
        {
            var snapshot = listener.Snapshot;
            // Built before the commit, so nothing after the commit can fail; under the lock, so the members it keeps
            // from the route it replaces are those of the route in force.
            var entry = new RouteEntry(route, HealthFor(route, _health), snapshot.FindRoute(route.Hostname), healthChanged: _healthChanged);
            if (route.Mode == RouteMode.L4 && snapshot.FindRoute(route.Hostname)?.Mode == RouteMode.L7 && snapshot.Policies.For(route.Hostname).Count > 0)
            {
                throw new RoutingException(RoutingError.FailedPrecondition, "route.mode", $"route {route.Hostname} has l7 policies; remove them before making it l4");
            }

            await Commit(() => _store.Routes.UpsertAsync(StoredRoute.From(route, _listenerIds[listener]), CancellationToken.None));
            return Swap(listener, snapshot.WithRoute(entry));
        }, cancellationToken);
    }

    /// <summary>Removes the route <paramref name="hostname"/> (normalized) and, by the schema's cascade, its policies.</summary>
    public Task RemoveRouteAsync(ListenerState listener, string hostname, CancellationToken cancellationToken)
        => MutateAsync(async () =>
        {
            if (!await Commit(() => _store.Routes.DeleteAsync(_listenerIds[listener], hostname, CancellationToken.None)))
            {
                throw new RoutingException(RoutingError.NotFound, "hostname", $"listener {listener.Addr} has no route {RuleText.Quote(hostname)}");
            }

            // The database dropped the route's policies by cascade; memory follows.
            return Swap(listener, listener.Snapshot.WithoutRoute(hostname));
        }, cancellationToken);

    /// <summary>Adds <paramref name="policy"/> (validated) to the end of the L7 route <paramref name="hostname"/>'s list.</summary>
    public Task AddL7PolicyAsync(ListenerState listener, string hostname, L7Policy policy, CancellationToken cancellationToken)
        => MutateAsync(async () =>
        {
            var snapshot = listener.Snapshot;
            var route = RequireRoute(listener, snapshot, hostname);
            if (route.Mode != RouteMode.L7)
            {
                throw new RoutingException(RoutingError.FailedPrecondition, "hostname", $"route {route.Hostname} is l4: TLS is not terminated, so there is no HTTP to apply a policy to");
            }

            var current = snapshot.Policies.For(route.Hostname);
            if (current.Contains(policy))
            {
                throw new RoutingException(RoutingError.AlreadyExists, "policy", $"route {route.Hostname} already has {policy.Type} {RuleText.Quote(policy.Value)}");
            }

            var routeId = RouteId(listener, route.Hostname);
            await Commit(() => _store.L7Policies.CreateAsync(routeId, policy.Type, policy.Value, CancellationToken.None));
            return Swap(listener, snapshot.WithPolicies(route.Hostname, current.Append(policy)));
        }, cancellationToken);

    public Task RemoveL7PolicyAsync(ListenerState listener, string hostname, L7Policy policy, CancellationToken cancellationToken)
        => MutateAsync(async () =>
        {
            var snapshot = listener.Snapshot;
            var route = RequireRoute(listener, snapshot, hostname);
            var routeId = RouteId(listener, route.Hostname);
            if (!await Commit(() => _store.L7Policies.DeleteAsync(routeId, policy.Type, policy.Value, CancellationToken.None)))
            {
                throw new RoutingException(RoutingError.NotFound, "policy", $"route {route.Hostname} has no {policy.Type} {RuleText.Quote(policy.Value)}");
            }

            return Swap(listener, snapshot.WithPolicies(route.Hostname, snapshot.Policies.For(route.Hostname).Where(p => p != policy)));
        }, cancellationToken);

    /// <summary>
    /// Sets backend <paramref name="address"/> of route <paramref name="hostname"/> to <paramref name="state"/>:
    /// committed to <c>route_backends</c>, then set on the live member, which every pick reads. Returns the member.
    /// </summary>
    public Task<PoolMember> SetBackendStateAsync(ListenerState listener, string hostname, HostPort address, BackendAdminState state, CancellationToken cancellationToken)
        => MutateAsync(async () =>
        {
            var route = RequireRoute(listener, listener.Snapshot, hostname);
            var member = route.FindBackend(address)
                ?? throw new RoutingException(RoutingError.NotFound, "backend", $"route {route.Hostname} has no backend {RuleText.Quote(address.ToString())}");
            var routeId = RouteId(listener, route.Hostname);
            await Commit(() => _store.Routes.SetBackendStateAsync(routeId, route.AddressOf(member), state, CancellationToken.None));
            member.SetAdminState(state);
            return member;
        }, cancellationToken);

    /// <summary>Adds <paramref name="rule"/> (validated, normalised); adding one that is there already changes nothing.</summary>
    public Task AddFirewallRuleAsync(FirewallRule rule, CancellationToken cancellationToken)
        => MutateAsync(async () =>
        {
            if (await Commit(() => _store.FirewallRules.AddAsync(rule.Type, rule.Value, CancellationToken.None)))
            {
                SwapFirewallRules(FirewallRules.Append(rule));
            }

            return true;
        }, cancellationToken);

    public Task RemoveFirewallRuleAsync(FirewallRule rule, CancellationToken cancellationToken)
        => MutateAsync(async () =>
        {
            if (!await Commit(() => _store.FirewallRules.RemoveAsync(rule.Type, rule.Value, CancellationToken.None)))
            {
                throw new RoutingException(RoutingError.NotFound, "rule", $"no {rule.Type} rule {rule.Value}");
            }

            SwapFirewallRules(FirewallRules.Where(r => r != rule));
            return true;
        }, cancellationToken);

    public void Dispose() => _mutation.Dispose();

    /// <summary>A route without checks never marks a member down; one with checks follows <paramref name="health"/>.</summary>
    private static HealthPolicy HealthFor(RouteSettings route, HealthPolicy health)
        => route.HealthCheck.Mode == HealthCheckMode.None ? HealthPolicy.None : health;

    private static ListenerSnapshot Swap(ListenerState listener, ListenerSnapshot next)
    {
        listener.Swap(next);
        return next;
    }

    /// <summary>Puts <paramref name="rules"/> in force, in the store's order (type, then value), and hands them to the firewall.</summary>
    private void SwapFirewallRules(IEnumerable<FirewallRule> rules)
    {
        var ordered = rules.OrderBy(r => r.Type, StringComparer.Ordinal).ThenBy(r => r.Value, StringComparer.Ordinal).ToArray();
        Volatile.Write(ref _firewallRules, ordered);
        _firewallRulesChanged(ordered);
    }

    /// <summary>The store's id of a route memory holds, which by the lock's rule the database holds too.</summary>
    private long RouteId(ListenerState listener, string hostname)
    {
        try
        {
            return _store.Routes.GetRouteId(_listenerIds[listener], hostname)
                ?? throw new InvalidOperationException($"listener {listener.Addr} route {hostname} is live but not in the database");
        }
        catch (SqliteException e)
        {
            throw new RoutingException(RoutingError.StoreFailed, "store", e.Message);
        }
    }

    /// <summary>
    /// Runs one mutation under the lock that orders them all, so that none interleaves with another between its
    /// commit and its swap (see the class remarks). Waiting for the lock honours the caller's cancellation; the
    /// mutation, once started, does not.
    /// </summary>
    private async Task<T> MutateAsync<T>(Func<Task<T>> mutation, CancellationToken cancellationToken)
    {
        await _mutation.WaitAsync(cancellationToken);
        try
        {
            return await mutation();
        }
        finally
        {
            _mutation.Release();
        }
    }

    /// <summary>Runs a store write; a database failure becomes a <see cref="RoutingException"/>, with memory untouched since nothing was swapped yet.</summary>
    private static async Task<T> Commit<T>(Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            // SQLITE_CONSTRAINT: the checks before the commit mirror the schema's, so this is a race with an outside writer.
            throw new RoutingException(RoutingError.AlreadyExists, "policy", e.Message);
        }
        catch (SqliteException e)
        {
            throw new RoutingException(RoutingError.StoreFailed, "store", e.Message);
        }
    }
}
