using System.CommandLine;
using McProxy.Client;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl policies add|remove --listener ADDR --hostname NAME --type T --value V`.</summary>
internal sealed class PoliciesChangeCommand : CtlCommand
{
    private readonly bool _add;
    private readonly Option<string> _listener = RoutesCommand.ListenerOption(required: true);
    private readonly Option<string> _hostname = RoutesCommand.HostnameOption();
    private readonly Option<string> _type = new("--type") { Description = "block_user_agent or require_header", Required = true };
    private readonly Option<string> _value = new("--value") { Description = "User-Agent substring, or header name", Required = true };

    public PoliciesChangeCommand(bool add, GlobalOptions globals, CtlContext context)
        : base(add ? "add" : "remove", add ? "Append an L7 policy to an l7 route" : "Remove an L7 policy", globals, context)
    {
        _add = add;
        _type.AcceptOnlyFromAmong("block_user_agent", "require_header");
        foreach (var option in new Option[] { _listener, _hostname, _type, _value })
        {
            Options.Add(option);
        }
    }

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var (listener, hostname) = (result.GetValue(_listener)!, result.GetValue(_hostname)!);
        var (type, value) = (result.GetValue(_type)!, result.GetValue(_value)!);
        if (_add)
        {
            await client.AddL7PolicyAsync(listener, hostname, type, value, cancellationToken);
        }
        else
        {
            await client.RemoveL7PolicyAsync(listener, hostname, type, value, cancellationToken);
        }

        await Context.Out.WriteLineAsync(json ? "{}" : $"{(_add ? "added" : "removed")} {type} \"{value}\" on {hostname} ({listener})");
    }
}
