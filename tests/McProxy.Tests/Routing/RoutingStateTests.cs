using McProxy.Config;
using McProxy.Metrics;
using McProxy.Model;
using McProxy.Routing;
using McProxy.Store;

namespace McProxy.Tests.Routing;

/// <summary>
/// The one owner of live state, on a real SQLite store: it loads what the store holds, writes every change through
/// (the database and memory agree after each), swaps a listener's routes and policies as one snapshot, and hands
/// firewall rule changes to the firewall.
/// </summary>
[UnitTest]
public sealed class RoutingStateTests : IDisposable
{
    private const string Listener = "127.0.0.1:8443";

    private readonly string _dir = Directory.CreateTempSubdirectory("mc-proxy-routing-").FullName;
    private readonly List<IReadOnlyList<FirewallRule>> _firewallChanges = [];
    private readonly ProxyStore _store;
    private readonly RoutingState _routing;

    public RoutingStateTests()
    {
        _store = ProxyStore.Open(Path.Combine(_dir, "mc-proxy.db"));
        var config = ConfigLoader.Parse($$"""
            [database]
            path = "unused.db"
            [[listeners]]
            addr = "{{Listener}}"
              [[listeners.routes]]
              hostname = "web.example.net"
              backend = "127.0.0.1:9000"
              mode = "l7"
              tls_cert = "/unused/cert.pem"
              tls_key = "/unused/key.pem"
                [[listeners.routes.l7_policies]]
                type = "block_user_agent"
                value = "evilbot"
              [[listeners.routes]]
              hostname = "raw.example.net"
              backend = "127.0.0.1:9001"
            [firewall]
            blocked_ips = ["192.0.2.1"]
            """, "test.toml", "/", loadFiles: false);
        Seeder.SeedIfEmptyAsync(_store.Database, config).GetAwaiter().GetResult();
        _routing = RoutingState.Load(_store, new ProxyMetrics(), _firewallChanges.Add);
    }

    private ListenerState Live => _routing.FindListener(Listener)!;

    [Fact]
    public void Load_BuildsEachListenersSnapshot_AndHandsTheFirewallItsRules()
    {
        var snapshot = Live.Snapshot;

        Assert.Equal(["raw.example.net", "web.example.net"], snapshot.Routes.Routes.Select(r => r.Hostname).Order(StringComparer.Ordinal));
        Assert.Equal(new L7Policy("block_user_agent", "evilbot"), Assert.Single(snapshot.Policies.For("web.example.net")));
        Assert.Equal(new FirewallRule("ip", "192.0.2.1"), Assert.Single(Assert.Single(_firewallChanges)));
        Assert.Equal(_firewallChanges[0], _routing.FirewallRules);
    }

    [Fact]
    public async Task UpsertRoute_HandsTheRouteToPrepareRoute_BeforeTheCommit()
    {
        // The L7 host loads a new route's certificate here: before anything is committed or swapped, so no
        // handshake on the route ever waits for a file.
        var prepared = new List<(RouteSettings Route, bool Stored, bool Live)>();
        _routing.PrepareRoute = route => prepared.Add((
            route,
            _store.Routes.List().Any(r => r.Hostname == route.Hostname),
            Live.Snapshot.FindRoute(route.Hostname) is not null));
        var route = new RouteSettings { Hostname = "new.example.net", Backends = ["127.0.0.1:9002"] };

        await _routing.UpsertRouteAsync(Live, route, CancellationToken.None);

        var (seen, stored, live) = Assert.Single(prepared);
        Assert.Same(route, seen);
        Assert.False(stored, "prepared after the commit");
        Assert.False(live, "prepared after the swap");
        Assert.NotNull(Live.Snapshot.FindRoute("new.example.net"));
    }

    [Fact]
    public async Task RemoveRoute_DropsTheRouteAndItsPolicies_InOneSwap_AndFromTheDatabase()
    {
        var before = Live.Snapshot;

        await _routing.RemoveRouteAsync(Live, "web.example.net", CancellationToken.None);

        var after = Live.Snapshot;
        Assert.NotSame(before, after);
        Assert.Null(after.FindRoute("web.example.net"));
        Assert.Empty(after.Policies.For("web.example.net"));
        // The snapshot a reader took before the change is still whole: its route and its policy together.
        Assert.NotNull(before.FindRoute("web.example.net"));
        Assert.Single(before.Policies.For("web.example.net"));
        Assert.DoesNotContain(_store.Routes.List(), r => r.Hostname == "web.example.net");
        Assert.Empty(_store.L7Policies.List());
    }

    [Fact]
    public async Task UpsertRoute_ReplacingAnL7Route_KeepsItsPolicies_InMemoryAndInTheDatabase()
    {
        var route = new RouteSettings { Hostname = "web.example.net", Backends = ["127.0.0.1:9100"], Mode = RouteMode.L7, TlsCert = "/c.pem", TlsKey = "/k.pem" };

        var snapshot = await _routing.UpsertRouteAsync(Live, route, CancellationToken.None);

        Assert.Same(snapshot, Live.Snapshot);
        Assert.Equal("127.0.0.1:9100", snapshot.FindRoute("web.example.net")!.Route.Backend);
        Assert.Single(snapshot.Policies.For("web.example.net"));
        Assert.Equal("127.0.0.1:9100", _store.Routes.List().Single(r => r.Hostname == "web.example.net").Route.Backend);
        Assert.Single(_store.L7Policies.List());
    }

    [Fact]
    public async Task SetBackendState_CommitsThenSetsTheLiveMember_AndADrainOutlivesANewHealthPolicyAndAReload()
    {
        var pool = new RouteSettings { Hostname = "raw.example.net", Backends = ["127.0.0.1:9001", "127.0.0.1:9002"], HealthCheck = HealthCheckSetting.None };
        await _routing.UpsertRouteAsync(Live, pool, CancellationToken.None);

        var member = await _routing.SetBackendStateAsync(Live, "raw.example.net", new McProxy.Net.HostPort("127.0.0.1", 9002), BackendAdminState.Drain, CancellationToken.None);

        Assert.Same(member, Live.Snapshot.FindRoute("raw.example.net")!.Pool.Members[1]);
        Assert.Equal(BackendAdminState.Drain, member.AdminState);
        Assert.Equal(BackendAdminState.Drain, _store.Routes.List().Single(r => r.Hostname == "raw.example.net").BackendStates["127.0.0.1:9002"]);

        // A new health check gives the members a new health policy: new member objects, the drain kept.
        await _routing.UpsertRouteAsync(Live, pool with { HealthCheck = HealthCheckSetting.Tcp }, CancellationToken.None);
        var rebuilt = Live.Snapshot.FindRoute("raw.example.net")!.Pool.Members;
        Assert.NotSame(member, rebuilt[1]);
        Assert.Equal([BackendAdminState.Enabled, BackendAdminState.Drain], rebuilt.Select(m => m.AdminState));
        Assert.Equal(BackendAdminState.Drain, _store.Routes.List().Single(r => r.Hostname == "raw.example.net").BackendStates["127.0.0.1:9002"]);

        using var reloaded = RoutingState.Load(_store, new ProxyMetrics(), _ => { });
        Assert.Equal(
            [BackendAdminState.Enabled, BackendAdminState.Drain],
            reloaded.FindListener(Listener)!.Snapshot.FindRoute("raw.example.net")!.Pool.Members.Select(m => m.AdminState));
    }

    [Fact]
    public async Task SetBackendState_FindsTheBackendWrittenAnotherWay_AndAnUpsertRewritingItKeepsItsStateInMemoryAndInTheStore()
    {
        var pool = new RouteSettings { Hostname = "raw.example.net", Backends = ["[::1]:9001", "backend.example.net:9002"], HealthCheck = HealthCheckSetting.None };
        await _routing.UpsertRouteAsync(Live, pool, CancellationToken.None);

        // The operator writes the IPv6 address in full and the name in capitals: the same members.
        var v6 = await _routing.SetBackendStateAsync(Live, "raw.example.net", new McProxy.Net.HostPort("0:0:0:0:0:0:0:1", 9001), BackendAdminState.Drain, CancellationToken.None);
        var named = await _routing.SetBackendStateAsync(Live, "raw.example.net", new McProxy.Net.HostPort("BACKEND.Example.NET", 9002), BackendAdminState.Disabled, CancellationToken.None);
        var members = Live.Snapshot.FindRoute("raw.example.net")!.Pool.Members;
        Assert.Same(members[0], v6);
        Assert.Same(members[1], named);
        Assert.Equal([BackendAdminState.Drain, BackendAdminState.Disabled], members.Select(m => m.AdminState));
        var states = _store.Routes.List().Single(r => r.Hostname == "raw.example.net").BackendStates;
        Assert.Equal((BackendAdminState.Drain, BackendAdminState.Disabled, 2), (states["[::1]:9001"], states["backend.example.net:9002"], states.Count));

        // An upsert that writes the same backends another way keeps the members, and the store keeps their states
        // under the new spelling: a restart finds the drain where the live route has it.
        await _routing.UpsertRouteAsync(Live, pool with { Backends = ["[0::1]:9001", "Backend.example.net:9002"] }, CancellationToken.None);
        var rewritten = Live.Snapshot.FindRoute("raw.example.net")!.Pool.Members;
        Assert.Same(v6, rewritten[0]);
        Assert.Same(named, rewritten[1]);
        var stored = _store.Routes.List().Single(r => r.Hostname == "raw.example.net");
        Assert.Equal(Live.Snapshot.FindRoute("raw.example.net")!.Route.Backends, stored.Route.Backends);
        Assert.Equal([BackendAdminState.Drain, BackendAdminState.Disabled], stored.Route.Backends.Select(b => stored.BackendStates[b]));
        using var reloaded = RoutingState.Load(_store, new ProxyMetrics(), _ => { });
        Assert.Equal(
            [BackendAdminState.Drain, BackendAdminState.Disabled],
            reloaded.FindListener(Listener)!.Snapshot.FindRoute("raw.example.net")!.Pool.Members.Select(m => m.AdminState));
    }

    [Fact]
    public async Task UpsertRoute_DroppingADrainedBackend_ForgetsItsState_AndItComesBackEnabled()
    {
        var pool = new RouteSettings { Hostname = "raw.example.net", Backends = ["127.0.0.1:9001", "127.0.0.1:9002"], HealthCheck = HealthCheckSetting.None };
        await _routing.UpsertRouteAsync(Live, pool, CancellationToken.None);
        await _routing.SetBackendStateAsync(Live, "raw.example.net", new McProxy.Net.HostPort("127.0.0.1", 9002), BackendAdminState.Drain, CancellationToken.None);

        await _routing.UpsertRouteAsync(Live, pool with { Backends = ["127.0.0.1:9001"] }, CancellationToken.None);
        Assert.Equal(["127.0.0.1:9001"], _store.Routes.List().Single(r => r.Hostname == "raw.example.net").BackendStates.Keys);
        var refused = await Assert.ThrowsAsync<RoutingException>(() =>
            _routing.SetBackendStateAsync(Live, "raw.example.net", new McProxy.Net.HostPort("127.0.0.1", 9002), BackendAdminState.Enabled, CancellationToken.None));
        Assert.Equal(RoutingError.NotFound, refused.Error);

        // As HAProxy's server removed and added again: a new backend, enabled.
        await _routing.UpsertRouteAsync(Live, pool, CancellationToken.None);
        Assert.Equal([BackendAdminState.Enabled, BackendAdminState.Enabled], Live.Snapshot.FindRoute("raw.example.net")!.Pool.Members.Select(m => m.AdminState));
        Assert.All(_store.Routes.List().Single(r => r.Hostname == "raw.example.net").BackendStates.Values, s => Assert.Equal(BackendAdminState.Enabled, s));
    }

    [Fact]
    public async Task Refusals_NameTheField_AndChangeNothing()
    {
        var before = Live.Snapshot;
        var l4 = new RouteSettings { Hostname = "web.example.net", Backends = ["127.0.0.1:9000"] };

        var withPolicies = await Assert.ThrowsAsync<RoutingException>(() => _routing.UpsertRouteAsync(Live, l4, CancellationToken.None));
        var onL4 = await Assert.ThrowsAsync<RoutingException>(() => _routing.AddL7PolicyAsync(Live, "raw.example.net", new L7Policy("require_header", "X-Key"), CancellationToken.None));
        var duplicate = await Assert.ThrowsAsync<RoutingException>(() => _routing.AddL7PolicyAsync(Live, "web.example.net", new L7Policy("block_user_agent", "evilbot"), CancellationToken.None));
        var missing = await Assert.ThrowsAsync<RoutingException>(() => _routing.RemoveFirewallRuleAsync(new FirewallRule("ip", "192.0.2.99"), CancellationToken.None));

        Assert.Equal((RoutingError.FailedPrecondition, "route.mode"), (withPolicies.Error, withPolicies.Field));
        Assert.Equal((RoutingError.FailedPrecondition, "hostname"), (onL4.Error, onL4.Field));
        Assert.Equal((RoutingError.AlreadyExists, "policy"), (duplicate.Error, duplicate.Field));
        Assert.Equal((RoutingError.NotFound, "rule"), (missing.Error, missing.Field));
        Assert.Same(before, Live.Snapshot);
        Assert.Equal(RouteMode.L7, _store.Routes.List().Single(r => r.Hostname == "web.example.net").Route.Mode);
        Assert.Single(_store.L7Policies.List());
        Assert.Single(_firewallChanges);
    }

    [Fact]
    public async Task FirewallRuleChanges_AreWrittenThrough_AndHandedToTheFirewall_InTheStoresOrder()
    {
        await _routing.AddFirewallRuleAsync(new FirewallRule("cidr", "198.51.100.0/24"), CancellationToken.None);
        await _routing.AddFirewallRuleAsync(new FirewallRule("cidr", "198.51.100.0/24"), CancellationToken.None);
        await _routing.RemoveFirewallRuleAsync(new FirewallRule("ip", "192.0.2.1"), CancellationToken.None);

        // Adding a rule that is there already changes nothing, so the firewall hears of two changes after the load.
        Assert.Equal(3, _firewallChanges.Count);
        Assert.Equal(["cidr 198.51.100.0/24", "ip 192.0.2.1"], _firewallChanges[1].Select(r => $"{r.Type} {r.Value}"));
        Assert.Equal([new FirewallRule("cidr", "198.51.100.0/24")], _firewallChanges[2]);
        Assert.Equal(_store.FirewallRules.List().Select(r => r.ToRule()), _routing.FirewallRules);
    }

    [Fact]
    public async Task AMutation_WaitingForTheLock_HonoursCancellation_AndChangesNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _routing.RemoveRouteAsync(Live, "raw.example.net", cancelled.Token));

        Assert.NotNull(Live.Snapshot.FindRoute("raw.example.net"));
        Assert.Contains(_store.Routes.List(), r => r.Hostname == "raw.example.net");
    }

    public void Dispose()
    {
        _routing.Dispose();
        _store.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
