using System.CommandLine;
using McProxy.Client;
using McProxyCtl.Commands;

namespace McProxyCtl;

/// <summary>The `mcproxyctl` command line: status, routes, backends, firewall, policies.</summary>
internal static class CtlCli
{
    public static Task<int> RunAsync(string[] args)
        => RunAsync(args, new CtlContext(Console.Out, Console.Error, Environment.GetEnvironmentVariable), CancellationToken.None);

    /// <summary>The seam for tests: output to the given writers, the environment from a function.</summary>
    public static async Task<int> RunAsync(string[] args, CtlContext context, CancellationToken cancellationToken)
    {
        var result = CreateRoot(context).Parse(args);
        if (result.Errors.Count > 0 && !IsHelp(result))
        {
            foreach (var error in result.Errors)
            {
                await context.Error.WriteLineAsync($"mcproxyctl: {error.Message}");
            }

            await context.Error.WriteLineAsync("Try 'mcproxyctl --help'.");
            return ExitCodes.Usage;
        }

        return await result.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error }, cancellationToken);
    }

    public static RootCommand CreateRoot(CtlContext context)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("mcproxyctl: manage a running mc-proxy through its admin API");
        foreach (var option in globals.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(new StatusCommand(globals, context));
        root.Subcommands.Add(new RoutesCommand(globals, context));
        root.Subcommands.Add(new BackendsCommand(globals, context));
        root.Subcommands.Add(new FirewallCommand(globals, context));
        root.Subcommands.Add(new PoliciesCommand(globals, context));
        return root;
    }

    private static bool IsHelp(ParseResult result) => result.Action is System.CommandLine.Help.HelpAction;
}
