using System.CommandLine;
using McProxy.Client;
using McProxy.Client.V1;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl policies list --listener ADDR --hostname NAME`: in evaluation order.</summary>
internal sealed class PoliciesListCommand : CtlCommand
{
    private readonly Option<string> _listener = RoutesCommand.ListenerOption(required: true);
    private readonly Option<string> _hostname = RoutesCommand.HostnameOption();

    public PoliciesListCommand(GlobalOptions globals, CtlContext context)
        : base("list", "List a route's L7 policies, in evaluation order", globals, context)
    {
        Options.Add(_listener);
        Options.Add(_hostname);
    }

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var policies = await client.ListL7PoliciesAsync(result.GetValue(_listener)!, result.GetValue(_hostname)!, cancellationToken);
        if (json)
        {
            var response = new ListL7PoliciesResponse();
            response.Policies.AddRange(policies);
            await WriteJsonAsync(response);
            return;
        }

        var table = new TableWriter("TYPE", "VALUE");
        foreach (var policy in policies)
        {
            table.Add(policy.Type, policy.Value);
        }

        await table.WriteAsync(Context.Out);
    }
}
