using System.CommandLine;
using McProxy.Client;
using McProxy.Client.V1;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl routes list [--listener ADDR]`.</summary>
internal sealed class RoutesListCommand : CtlCommand
{
    private readonly Option<string> _listener = RoutesCommand.ListenerOption(required: false);

    public RoutesListCommand(GlobalOptions globals, CtlContext context)
        : base("list", "List the routes of one listener, or of all", globals, context)
        => Options.Add(_listener);

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var routes = await client.ListRoutesAsync(result.GetValue(_listener), cancellationToken);
        if (json)
        {
            var response = new ListRoutesResponse();
            response.Routes.AddRange(routes);
            await WriteJsonAsync(response);
            return;
        }

        var table = new TableWriter("LISTENER", "HOSTNAME", "MODE", "BACKENDS", "POLICIES", "OPTIONS");
        foreach (var route in routes)
        {
            table.Add(route.ListenerAddr, route.Hostname, route.Mode, string.Join(',', Backends(route)), route.L7Policies.Count.ToString(), Describe(route));
        }

        await table.WriteAsync(Context.Out);
    }

    /// <summary>The route's pool in order; a server without pools sends only the single backend.</summary>
    public static IEnumerable<string> Backends(Route route) => route.Backends.Count > 0 ? route.Backends : [route.Backend];

    /// <summary>
    /// The OPTIONS column: what differs from the defaults, and the pool at a glance (a backend not enabled, one down,
    /// the connections or requests open to the route); <c>backends list</c> has each backend's counts.
    /// </summary>
    internal static string Describe(Route route)
    {
        var options = new List<string>();
        if (route.Balance.Length > 0 && route.Balance != "least_connections")
        {
            options.Add($"balance={route.Balance}");
        }

        if (route.HealthCheck.Length > 0 && route.HealthCheck != "none")
        {
            options.Add($"check={route.HealthCheck}");
        }

        foreach (var backend in route.BackendStatus.Where(b => b.AdminState != "enabled"))
        {
            options.Add($"{backend.AdminState}={backend.Address}");
        }

        foreach (var backend in route.BackendStatus.Where(b => !b.Healthy))
        {
            options.Add($"down={backend.Address}");
        }

        if (route.BackendStatus.Sum(b => b.ActiveConnections) is > 0 and var active)
        {
            options.Add($"active={active}");
        }

        if (route.TlsCert.Length > 0)
        {
            options.Add($"cert={route.TlsCert}");
        }

        if (route.BackendTls)
        {
            options.Add(route.BackendCa.Length > 0 ? $"backend-tls(ca={route.BackendCa})" : "backend-tls");
        }

        if (route.BackendH2C)
        {
            options.Add("h2c");
        }

        if (route.SendProxyProtocol)
        {
            options.Add("proxy-protocol");
        }

        return options.Count == 0 ? "-" : string.Join(',', options);
    }
}
