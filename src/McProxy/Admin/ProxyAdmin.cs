using System.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using McProxy.Client.V1;
using McProxy.Config;
using McProxy.Model;
using McProxy.Net;
using McProxy.Routing;
using Microsoft.Data.Sqlite;
using Duration = Google.Protobuf.WellKnownTypes.Duration;

namespace McProxy.Admin;

/// <summary>
/// The admin operations behind the gRPC service, write-through: validate, commit to SQLite, and only then swap
/// the live snapshot. One lock orders every mutation, so no two interleave between their commit and their swap
/// and the database and memory never disagree. The commit and the swap run without the caller's cancellation
/// token: a caller that gives up after the commit must not leave memory behind the database.
/// </summary>
internal sealed class ProxyAdmin(ProxyServer server, Action firewallChanged) : IDisposable
{
    private readonly SemaphoreSlim _mutation = new(1, 1);

    public static string Version { get; } = typeof(ProxyAdmin).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public GetStatusResponse GetStatus()
    {
        var now = DateTimeOffset.UtcNow;
        var response = new GetStatusResponse
        {
            Version = Version,
            StartedAt = Timestamp.FromDateTimeOffset(server.StartedAt),
            Uptime = Duration.FromTimeSpan(now - server.StartedAt),
            FirewallRuleCount = server.Store.FirewallRules.List().Count,
        };
        foreach (var listener in server.Listeners)
        {
            response.Listeners.Add(new ListenerStatus
            {
                Addr = listener.Addr,
                BoundAddr = listener.LocalEndPoint?.ToString() ?? "",
                RouteCount = listener.Routes.Routes.Count,
                L7PolicyCount = listener.Policies.Count,
                ActiveConnections = listener.ActiveConnections,
                TotalConnections = listener.TotalConnections,
                ProxyProtocol = listener.Listener.ProxyProtocol,
            });
            response.ActiveConnections += listener.ActiveConnections;
        }

        return response;
    }

    /// <summary>Routes as the live tables hold them (which equal the database's, see the class remarks).</summary>
    public ListRoutesResponse ListRoutes(string listenerAddr)
    {
        var listeners = listenerAddr.Length == 0 ? server.Listeners : [FindListener(listenerAddr)];
        var response = new ListRoutesResponse();
        foreach (var listener in listeners)
        {
            var policies = listener.Policies;
            response.Routes.AddRange(listener.Routes.Routes
                .OrderBy(r => r.Hostname, StringComparer.Ordinal)
                .Select(r => AdminMapping.ToMessage(r.Route, listener.Addr, policies.For(r.Hostname))));
        }

        return response;
    }

    public async Task<AddRouteResponse> AddRouteAsync(AddRouteRequest request, CancellationToken cancellationToken)
    {
        // Checked before the lock, files loaded included: the listeners are fixed at start, and a slow or hostile file
        // (a FIFO, a file on a hung mount) must not hold up every other mutation.
        var listener = FindListener(request.ListenerAddr);
        var route = RouteValidator.Validate(request.Route) with { ListenerId = listener.Id };
        return await MutateAsync(async () =>
        {
            var existing = listener.Routes.Routes.FirstOrDefault(r => r.Hostname == route.Hostname);
            if (route.Mode == RouteMode.L4 && existing?.Mode == RouteMode.L7 && listener.Policies.For(route.Hostname).Count > 0)
            {
                throw AdminErrors.FailedPrecondition("route.mode", $"route {route.Hostname} has l7 policies; remove them before making it l4");
            }

            var stored = await Commit(() => server.Store.Routes.UpsertAsync(route, CancellationToken.None));
            // Cannot fail after the commit: RouteValidator has already parsed the backend the way RouteEntry does.
            var entry = new RouteEntry(stored);
            listener.UpdateRoutes(t => t.With(entry));
            return new AddRouteResponse { Route = AdminMapping.ToMessage(stored, listener.Addr, listener.Policies.For(stored.Hostname)) };
        }, cancellationToken);
    }

    public async Task<RemoveRouteResponse> RemoveRouteAsync(RemoveRouteRequest request, CancellationToken cancellationToken)
    {
        return await MutateAsync(async () =>
        {
            var listener = FindListener(request.ListenerAddr);
            var hostname = RequireHostname(request.Hostname);
            if (!await Commit(() => server.Store.Routes.DeleteAsync(listener.Id, hostname, CancellationToken.None)))
            {
                throw AdminErrors.NotFound("hostname", $"listener {listener.Addr} has no route {RuleText.Quote(hostname)}");
            }

            // The database dropped the route's policies by cascade; memory follows.
            listener.UpdateRoutes(t => t.Without(hostname));
            listener.UpdatePolicies(t => t.Without(hostname));
            return new RemoveRouteResponse();
        }, cancellationToken);
    }

    public ListFirewallRulesResponse ListFirewallRules()
    {
        var response = new ListFirewallRulesResponse();
        response.Rules.AddRange(server.Store.FirewallRules.List().Select(AdminMapping.ToMessage));
        return response;
    }

    public async Task<AddFirewallRuleResponse> AddFirewallRuleAsync(AddFirewallRuleRequest request, CancellationToken cancellationToken)
    {
        var (type, value) = FirewallRuleValidator.Validate(request.Rule, server.Config.Firewall.GeoIpDb.Length > 0);
        return await MutateAsync(async () =>
        {
            if (await Commit(() => server.Store.FirewallRules.AddAsync(type, value, CancellationToken.None)))
            {
                firewallChanged();
            }

            return new AddFirewallRuleResponse { Rule = new FirewallRule { Type = type, Value = value } };
        }, cancellationToken);
    }

    public async Task<RemoveFirewallRuleResponse> RemoveFirewallRuleAsync(RemoveFirewallRuleRequest request, CancellationToken cancellationToken)
    {
        // Removing needs no GeoIP database: a country rule may outlive the config's geoip_db.
        var (type, value) = FirewallRuleValidator.Validate(request.Rule, hasGeoIp: true);
        return await MutateAsync(async () =>
        {
            if (!await Commit(() => server.Store.FirewallRules.RemoveAsync(type, value, CancellationToken.None)))
            {
                throw AdminErrors.NotFound("rule", $"no {type} rule {value}");
            }

            firewallChanged();
            return new RemoveFirewallRuleResponse();
        }, cancellationToken);
    }

    public ListL7PoliciesResponse ListL7Policies(ListL7PoliciesRequest request)
    {
        var listener = FindListener(request.ListenerAddr);
        var route = FindRoute(listener, request.Hostname);
        var response = new ListL7PoliciesResponse();
        response.Policies.AddRange(listener.Policies.For(route.Hostname).Select(AdminMapping.ToMessage));
        return response;
    }

    public async Task<AddL7PolicyResponse> AddL7PolicyAsync(AddL7PolicyRequest request, CancellationToken cancellationToken)
    {
        var (type, value) = ValidatePolicy(request.Policy, strict: true);
        return await MutateAsync(async () =>
        {
            var listener = FindListener(request.ListenerAddr);
            var route = FindRoute(listener, request.Hostname);
            if (route.Mode != RouteMode.L7)
            {
                throw AdminErrors.FailedPrecondition("hostname", $"route {route.Hostname} is l4: TLS is not terminated, so there is no HTTP to apply a policy to");
            }

            var current = listener.Policies.For(route.Hostname);
            if (current.Any(p => p.Type == type && p.Value == value))
            {
                throw AdminErrors.AlreadyExists("policy", $"route {route.Hostname} already has {type} {RuleText.Quote(value)}");
            }

            var created = await Commit(() => server.Store.L7Policies.CreateAsync(route.Route.Id, type, value, CancellationToken.None));
            listener.UpdatePolicies(t => t.With(route.Hostname, t.For(route.Hostname).Append(created)));
            return new AddL7PolicyResponse();
        }, cancellationToken);
    }

    public async Task<RemoveL7PolicyResponse> RemoveL7PolicyAsync(RemoveL7PolicyRequest request, CancellationToken cancellationToken)
    {
        // Not held to today's value rules: a policy stored by an older build must still be removable.
        var (type, value) = ValidatePolicy(request.Policy, strict: false);
        return await MutateAsync(async () =>
        {
            var listener = FindListener(request.ListenerAddr);
            var route = FindRoute(listener, request.Hostname);
            if (!await Commit(() => server.Store.L7Policies.DeleteAsync(route.Route.Id, type, value, CancellationToken.None)))
            {
                throw AdminErrors.NotFound("policy", $"route {route.Hostname} has no {type} {RuleText.Quote(value)}");
            }

            listener.UpdatePolicies(t => t.With(route.Hostname, t.For(route.Hostname).Where(p => !(p.Type == type && p.Value == value))));
            return new RemoveL7PolicyResponse();
        }, cancellationToken);
    }

    public void Dispose() => _mutation.Dispose();

    private ListenerState FindListener(string addr)
    {
        if (string.IsNullOrWhiteSpace(addr))
        {
            throw AdminErrors.InvalidArgument("listener_addr", "is required");
        }

        return server.FindListener(addr.Trim())
            ?? throw AdminErrors.NotFound("listener_addr", $"no listener {RuleText.Quote(addr)} (listeners: {string.Join(", ", server.Listeners.Select(l => l.Addr))})");
    }

    private static RouteEntry FindRoute(ListenerState listener, string hostname)
    {
        var normalized = RequireHostname(hostname);
        return listener.Routes.Routes.FirstOrDefault(r => r.Hostname == normalized)
            ?? throw AdminErrors.NotFound("hostname", $"listener {listener.Addr} has no route {RuleText.Quote(normalized)}");
    }

    private static string RequireHostname(string hostname)
    {
        if (RouteRules.ExistingHostname(hostname) is { } error)
        {
            throw AdminErrors.InvalidArgument(error.Field, error.Message);
        }

        return Hostnames.Normalize(hostname);
    }

    private static (string Type, string Value) ValidatePolicy(L7Policy? policy, bool strict)
    {
        if (policy is null)
        {
            throw AdminErrors.InvalidArgument("policy", "is required");
        }

        var errors = PolicyRules.Check(policy.Type, policy.Value);
        if (!strict)
        {
            errors.RemoveAll(e => e.Field == "value" && policy.Value.Length > 0);
        }

        if (errors.Count > 0)
        {
            throw AdminErrors.InvalidArgument("policy." + errors[0].Field, errors[0].Message);
        }

        return (policy.Type, policy.Value);
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

    /// <summary>Runs a store write; a database failure becomes Internal, with memory untouched since nothing was swapped yet.</summary>
    private static async Task<T> Commit<T>(Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            // SQLITE_CONSTRAINT: the checks above mirror the schema's, so this is a race with an outside writer.
            throw AdminErrors.AlreadyExists("policy", e.Message);
        }
        catch (SqliteException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"store: {e.Message}"));
        }
    }
}
