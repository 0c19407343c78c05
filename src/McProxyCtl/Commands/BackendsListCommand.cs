using System.CommandLine;
using System.Globalization;
using McProxy.Client;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl backends list --listener ADDR --hostname NAME`: each backend's admin state, health and load.</summary>
internal sealed class BackendsListCommand : CtlCommand
{
    private readonly Option<string> _listener = RoutesCommand.ListenerOption(required: true);
    private readonly Option<string> _hostname = RoutesCommand.HostnameOption();

    public BackendsListCommand(GlobalOptions globals, CtlContext context)
        : base("list", "List a route's backends: admin state, health, active connections", globals, context)
    {
        Options.Add(_listener);
        Options.Add(_hostname);
    }

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var route = await client.GetRouteAsync(result.GetValue(_listener)!, result.GetValue(_hostname)!, cancellationToken);
        if (json)
        {
            // The whole route: its backend_status is what a deploy script polls.
            await WriteJsonAsync(route);
            return;
        }

        var table = new TableWriter("BACKEND", "STATE", "HEALTH", "ACTIVE", "FAILED_CONNECTS");
        foreach (var backend in route.BackendStatus)
        {
            table.Add(
                backend.Address,
                backend.AdminState,
                backend.Healthy ? "up" : "down",
                backend.ActiveConnections.ToString(CultureInfo.InvariantCulture),
                backend.FailedConnects.ToString(CultureInfo.InvariantCulture));
        }

        await table.WriteAsync(Context.Out);
    }
}
