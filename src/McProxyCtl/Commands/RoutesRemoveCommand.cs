using System.CommandLine;
using McProxy.Client;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl routes remove --listener ADDR --hostname NAME`.</summary>
internal sealed class RoutesRemoveCommand : CtlCommand
{
    private readonly Option<string> _listener = RoutesCommand.ListenerOption(required: true);
    private readonly Option<string> _hostname = RoutesCommand.HostnameOption();

    public RoutesRemoveCommand(GlobalOptions globals, CtlContext context)
        : base("remove", "Remove a route and its L7 policies (open connections keep flowing)", globals, context)
    {
        Options.Add(_listener);
        Options.Add(_hostname);
    }

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var listener = result.GetValue(_listener)!;
        var hostname = result.GetValue(_hostname)!;
        await client.RemoveRouteAsync(listener, hostname, cancellationToken);
        await Context.Out.WriteLineAsync(json ? "{}" : $"removed route {hostname} from {listener}");
    }
}
