using System.Reflection;
using Google.Protobuf.WellKnownTypes;
using McProxy.Client.V1;
using McProxy.Model;
using McProxy.Net;
using McProxy.Routing;
using Duration = Google.Protobuf.WellKnownTypes.Duration;
using L7Policy = McProxy.Client.V1.L7Policy;

namespace McProxy.Admin;

/// <summary>
/// The admin operations behind the gRPC service: each maps its request onto the model, validates it, and calls
/// <see cref="RoutingState"/>, which owns the live state and writes it through to the store (see its remarks: one
/// lock orders every mutation; the database and memory never disagree). Reads answer from the live snapshots.
/// Refusals come back as <see cref="RoutingException"/> and leave here as the matching gRPC status.
/// </summary>
internal sealed class ProxyAdmin(RoutingState routing, DateTimeOffset startedAt, bool countryRulesAllowed)
{
    public static string Version { get; } = typeof(ProxyAdmin).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public GetStatusResponse GetStatus()
    {
        var now = DateTimeOffset.UtcNow;
        var response = new GetStatusResponse
        {
            Version = Version,
            StartedAt = Timestamp.FromDateTimeOffset(startedAt),
            Uptime = Duration.FromTimeSpan(now - startedAt),
            FirewallRuleCount = routing.FirewallRules.Count,
        };
        foreach (var listener in routing.Listeners)
        {
            var snapshot = listener.Snapshot;
            response.Listeners.Add(new ListenerStatus
            {
                Addr = listener.Addr,
                BoundAddr = listener.LocalEndPoint?.ToString() ?? "",
                RouteCount = snapshot.Routes.Routes.Count,
                L7PolicyCount = snapshot.Policies.Count,
                ActiveConnections = listener.ActiveConnections,
                TotalConnections = listener.TotalConnections,
                ProxyProtocol = listener.Listener.ProxyProtocol,
            });
            response.ActiveConnections += listener.ActiveConnections;
        }

        return response;
    }

    /// <summary>Routes as the live snapshots hold them (which equal the database's, see <see cref="RoutingState"/>).</summary>
    public ListRoutesResponse ListRoutes(string listenerAddr)
    {
        var listeners = listenerAddr.Length == 0 ? routing.Listeners : [FindListener(listenerAddr)];
        var response = new ListRoutesResponse();
        foreach (var listener in listeners)
        {
            var snapshot = listener.Snapshot;
            response.Routes.AddRange(snapshot.Routes.Routes
                .OrderBy(r => r.Hostname, StringComparer.Ordinal)
                .Select(r => AdminMapping.ToMessage(r, listener.Addr, snapshot.Policies.For(r.Hostname))));
        }

        return response;
    }

    public async Task<AddRouteResponse> AddRouteAsync(AddRouteRequest request, CancellationToken cancellationToken)
    {
        // Checked before the lock, files loaded included: the listeners are fixed at start, and a slow or hostile file
        // (a FIFO, a file on a hung mount) must not hold up every other mutation.
        var listener = FindListener(request.ListenerAddr);
        var route = RouteValidator.Validate(request.Route);
        var snapshot = await Refusals(routing.UpsertRouteAsync(listener, route, cancellationToken));
        var stored = snapshot.FindRoute(route.Hostname)!;
        return new AddRouteResponse { Route = AdminMapping.ToMessage(stored, listener.Addr, snapshot.Policies.For(stored.Hostname)) };
    }

    public async Task<RemoveRouteResponse> RemoveRouteAsync(RemoveRouteRequest request, CancellationToken cancellationToken)
    {
        var listener = FindListener(request.ListenerAddr);
        var hostname = RequireHostname(request.Hostname);
        await Refusals(routing.RemoveRouteAsync(listener, hostname, cancellationToken));
        return new RemoveRouteResponse();
    }

    public ListFirewallRulesResponse ListFirewallRules()
    {
        var response = new ListFirewallRulesResponse();
        response.Rules.AddRange(routing.FirewallRules.Select(AdminMapping.ToMessage));
        return response;
    }

    public async Task<AddFirewallRuleResponse> AddFirewallRuleAsync(AddFirewallRuleRequest request, CancellationToken cancellationToken)
    {
        var rule = FirewallRuleValidator.Validate(request.Rule, countryRulesAllowed);
        await Refusals(routing.AddFirewallRuleAsync(rule, cancellationToken));
        return new AddFirewallRuleResponse { Rule = AdminMapping.ToMessage(rule) };
    }

    public async Task<RemoveFirewallRuleResponse> RemoveFirewallRuleAsync(RemoveFirewallRuleRequest request, CancellationToken cancellationToken)
    {
        // Removing needs no GeoIP database: a country rule may outlive the config's geoip_db.
        var rule = FirewallRuleValidator.Validate(request.Rule, hasGeoIp: true);
        await Refusals(routing.RemoveFirewallRuleAsync(rule, cancellationToken));
        return new RemoveFirewallRuleResponse();
    }

    public ListL7PoliciesResponse ListL7Policies(ListL7PoliciesRequest request)
    {
        var listener = FindListener(request.ListenerAddr);
        var hostname = RequireHostname(request.Hostname);
        var snapshot = listener.Snapshot;
        var route = Refusals(() => RoutingState.RequireRoute(listener, snapshot, hostname));
        var response = new ListL7PoliciesResponse();
        response.Policies.AddRange(snapshot.Policies.For(route.Hostname).Select(AdminMapping.ToMessage));
        return response;
    }

    public async Task<AddL7PolicyResponse> AddL7PolicyAsync(AddL7PolicyRequest request, CancellationToken cancellationToken)
    {
        var policy = ValidatePolicy(request.Policy, strict: true);
        var listener = FindListener(request.ListenerAddr);
        var hostname = RequireHostname(request.Hostname);
        await Refusals(routing.AddL7PolicyAsync(listener, hostname, policy, cancellationToken));
        return new AddL7PolicyResponse();
    }

    public async Task<RemoveL7PolicyResponse> RemoveL7PolicyAsync(RemoveL7PolicyRequest request, CancellationToken cancellationToken)
    {
        // Not held to today's value rules: a policy stored by an older build must still be removable.
        var policy = ValidatePolicy(request.Policy, strict: false);
        var listener = FindListener(request.ListenerAddr);
        var hostname = RequireHostname(request.Hostname);
        await Refusals(routing.RemoveL7PolicyAsync(listener, hostname, policy, cancellationToken));
        return new RemoveL7PolicyResponse();
    }

    public async Task<SetBackendStateResponse> SetBackendStateAsync(SetBackendStateRequest request, CancellationToken cancellationToken)
    {
        var listener = FindListener(request.ListenerAddr);
        var hostname = RequireHostname(request.Hostname);
        if (request.Backend.Length == 0)
        {
            throw AdminErrors.InvalidArgument("backend", "is required");
        }

        if (!HostPort.TryParse(request.Backend.Trim(), allowEmptyHost: false, out var address, out var error))
        {
            throw AdminErrors.InvalidArgument("backend", error);
        }

        var state = BackendAdminStates.Parse(request.State)
            ?? throw AdminErrors.InvalidArgument("state", $"{RuleText.Quote(request.State)} is not \"enabled\", \"drain\" or \"disabled\"");
        var member = await Refusals(routing.SetBackendStateAsync(listener, hostname, address, state, cancellationToken));
        // Named as the route writes it; the member is the live one, so the route in force holds it.
        var written = listener.Snapshot.FindRoute(hostname)?.AddressOf(member) ?? member.Address.ToString();
        return new SetBackendStateResponse { Backend = AdminMapping.ToMessage(member, written) };
    }

    private ListenerState FindListener(string addr)
    {
        if (string.IsNullOrWhiteSpace(addr))
        {
            throw AdminErrors.InvalidArgument("listener_addr", "is required");
        }

        return routing.FindListener(addr.Trim())
            ?? throw AdminErrors.NotFound("listener_addr", $"no listener {RuleText.Quote(addr)} (listeners: {string.Join(", ", routing.Listeners.Select(l => l.Addr))})");
    }

    private static string RequireHostname(string hostname)
    {
        if (RouteRules.ExistingHostname(hostname) is { } error)
        {
            throw AdminErrors.InvalidArgument(error.Field, error.Message);
        }

        return Hostnames.Normalize(hostname);
    }

    private static Model.L7Policy ValidatePolicy(L7Policy? policy, bool strict)
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

        return new Model.L7Policy(policy.Type, policy.Value);
    }

    /// <summary>Awaits a change, turning the routing state's refusal into the admin API's status.</summary>
    private static async Task<T> Refusals<T>(Task<T> change)
    {
        try
        {
            return await change;
        }
        catch (RoutingException e)
        {
            throw AdminErrors.From(e);
        }
    }

    private static async Task Refusals(Task change)
    {
        try
        {
            await change;
        }
        catch (RoutingException e)
        {
            throw AdminErrors.From(e);
        }
    }

    private static T Refusals<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (RoutingException e)
        {
            throw AdminErrors.From(e);
        }
    }
}
