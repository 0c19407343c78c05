using System.CommandLine;
using System.Globalization;
using McProxy.Client;
using McProxy.Client.V1;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl backends enable|drain|disable --listener ADDR --hostname NAME --backend HOST:PORT`.</summary>
internal sealed class BackendsStateCommand : CtlCommand
{
    private readonly string _state;
    private readonly Option<string> _listener = RoutesCommand.ListenerOption(required: true);
    private readonly Option<string> _hostname = RoutesCommand.HostnameOption();
    private readonly Option<string> _backend = BackendsCommand.BackendOption();

    public BackendsStateCommand(string verb, string state, string description, GlobalOptions globals, CtlContext context)
        : base(verb, description, globals, context)
    {
        _state = state;
        Options.Add(_listener);
        Options.Add(_hostname);
        Options.Add(_backend);
    }

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var (listener, hostname) = (result.GetValue(_listener)!, result.GetValue(_hostname)!);
        var backend = await client.SetBackendStateAsync(listener, hostname, result.GetValue(_backend)!, _state, cancellationToken);
        if (json)
        {
            await WriteJsonAsync(new SetBackendStateResponse { Backend = backend });
            return;
        }

        await Context.Out.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"backend {backend.Address} of {hostname} ({listener}): {backend.AdminState}, {(backend.Healthy ? "up" : "down")}, {backend.ActiveConnections} active"));
    }
}
