using System.CommandLine;
using McProxy.Client;
using McProxy.Client.V1;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl firewall add|remove --type ip|cidr|country --value V`: one class, the two verbs take the same flags.</summary>
internal sealed class FirewallChangeCommand : CtlCommand
{
    private readonly bool _add;
    private readonly Option<string> _type = new("--type") { Description = "ip, cidr or country", Required = true };
    private readonly Option<string> _value = new("--value") { Description = "An IP address, a CIDR, or an ISO 3166-1 alpha-2 code", Required = true };

    public FirewallChangeCommand(bool add, GlobalOptions globals, CtlContext context)
        : base(add ? "add" : "remove", add ? "Add a firewall rule" : "Remove a firewall rule", globals, context)
    {
        _add = add;
        _type.AcceptOnlyFromAmong("ip", "cidr", "country");
        Options.Add(_type);
        Options.Add(_value);
    }

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var type = result.GetValue(_type)!;
        var value = result.GetValue(_value)!;
        if (_add)
        {
            var rule = await client.AddFirewallRuleAsync(type, value, cancellationToken);
            await (json ? WriteJsonAsync(new AddFirewallRuleResponse { Rule = rule }) : Context.Out.WriteLineAsync($"firewall: blocking {rule.Type} {rule.Value}"));
        }
        else
        {
            await client.RemoveFirewallRuleAsync(type, value, cancellationToken);
            await Context.Out.WriteLineAsync(json ? "{}" : $"firewall: removed {type} {value}");
        }
    }
}
