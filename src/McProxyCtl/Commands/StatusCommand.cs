using System.CommandLine;
using McProxy.Client;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl status`: version, uptime and each listener's counters.</summary>
internal sealed class StatusCommand(GlobalOptions globals, CtlContext context)
    : CtlCommand("status", "Status of a running instance", globals, context)
{
    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var status = await client.GetStatusAsync(cancellationToken);
        if (json)
        {
            await WriteJsonAsync(status);
            return;
        }

        await Context.Out.WriteLineAsync(StatusText.Summary(status));
        var table = new TableWriter("LISTENER", "BOUND", "ROUTES", "POLICIES", "ACTIVE", "TOTAL", "PROXY_PROTOCOL");
        foreach (var listener in status.Listeners)
        {
            table.Add(
                listener.Addr,
                listener.BoundAddr,
                listener.RouteCount.ToString(),
                listener.L7PolicyCount.ToString(),
                listener.ActiveConnections.ToString(),
                listener.TotalConnections.ToString(),
                listener.ProxyProtocol ? "yes" : "no");
        }

        await table.WriteAsync(Context.Out);
    }
}
