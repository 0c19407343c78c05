using System.CommandLine;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl firewall list|add|remove`.</summary>
internal sealed class FirewallCommand : Command
{
    public FirewallCommand(GlobalOptions globals, CtlContext context)
        : base("firewall", "Global firewall rules")
    {
        Subcommands.Add(new FirewallListCommand(globals, context));
        Subcommands.Add(new FirewallChangeCommand(add: true, globals, context));
        Subcommands.Add(new FirewallChangeCommand(add: false, globals, context));
    }
}
