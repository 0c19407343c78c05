using System.CommandLine;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl backends list|enable|drain|disable`: a route's pool and each backend's admin state.</summary>
internal sealed class BackendsCommand : Command
{
    public BackendsCommand(GlobalOptions globals, CtlContext context)
        : base("backends", "The backends of a route's pool: status, and enable, drain or disable one")
    {
        Subcommands.Add(new BackendsListCommand(globals, context));
        Subcommands.Add(new BackendsStateCommand("enable", "enabled", "Let a backend take new connections again", globals, context));
        Subcommands.Add(new BackendsStateCommand("drain", "drain", "Send a backend no new connections; open ones run to their end", globals, context));
        Subcommands.Add(new BackendsStateCommand("disable", "disabled", "Send a backend nothing new (open connections are left alone)", globals, context));
    }

    public static Option<string> BackendOption() => new("--backend")
    {
        Description = "One of the route's backends, HOST:PORT as listed",
        Required = true,
    };
}
