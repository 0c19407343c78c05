using System.CommandLine;
using McProxy.Client;
using McProxy.Client.V1;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl firewall list`.</summary>
internal sealed class FirewallListCommand(GlobalOptions globals, CtlContext context)
    : CtlCommand("list", "List the firewall rules", globals, context)
{
    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var rules = await client.ListFirewallRulesAsync(cancellationToken);
        if (json)
        {
            var response = new ListFirewallRulesResponse();
            response.Rules.AddRange(rules);
            await WriteJsonAsync(response);
            return;
        }

        var table = new TableWriter("TYPE", "VALUE");
        foreach (var rule in rules)
        {
            table.Add(rule.Type, rule.Value);
        }

        await table.WriteAsync(Context.Out);
    }
}
