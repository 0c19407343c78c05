using System.CommandLine;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl routes list|add|remove`.</summary>
internal sealed class RoutesCommand : Command
{
    public RoutesCommand(GlobalOptions globals, CtlContext context)
        : base("routes", "Route management")
    {
        Subcommands.Add(new RoutesListCommand(globals, context));
        Subcommands.Add(new RoutesAddCommand(globals, context));
        Subcommands.Add(new RoutesRemoveCommand(globals, context));
    }

    public static Option<string> ListenerOption(bool required) => new("--listener")
    {
        Description = "The listener, named by its addr as configured (e.g. \":443\")",
        Required = required,
    };

    public static Option<string> HostnameOption() => new("--hostname")
    {
        Description = "The route's hostname (exact, or \"*.example.net\")",
        Required = true,
    };
}
