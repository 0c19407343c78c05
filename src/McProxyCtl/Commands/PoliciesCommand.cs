using System.CommandLine;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl policies list|add|remove`.</summary>
internal sealed class PoliciesCommand : Command
{
    public PoliciesCommand(GlobalOptions globals, CtlContext context)
        : base("policies", "L7 policies of a route")
    {
        Subcommands.Add(new PoliciesListCommand(globals, context));
        Subcommands.Add(new PoliciesChangeCommand(add: true, globals, context));
        Subcommands.Add(new PoliciesChangeCommand(add: false, globals, context));
    }
}
