using System.CommandLine;
using McProxy.Client;
using McProxy.Client.V1;

namespace McProxyCtl.Commands;

/// <summary>`mcproxyctl routes add --listener ADDR --hostname NAME --backend HOST:PORT [--mode l4|l7] ...`: add or replace.</summary>
internal sealed class RoutesAddCommand : CtlCommand
{
    private readonly Option<string> _listener = RoutesCommand.ListenerOption(required: true);
    private readonly Option<string> _hostname = RoutesCommand.HostnameOption();
    private readonly Option<string> _backend = new("--backend") { Description = "Backend HOST:PORT", Required = true };
    private readonly Option<string> _mode = new("--mode") { Description = "l4 (relay TLS untouched) or l7 (terminate TLS)", DefaultValueFactory = _ => "l4" };
    private readonly Option<string?> _tlsCert = new("--tls-cert") { Description = "l7: absolute path of the PEM certificate on the server" };
    private readonly Option<string?> _tlsKey = new("--tls-key") { Description = "l7: absolute path of the PEM key on the server" };
    private readonly Option<bool> _backendTls = new("--backend-tls") { Description = "l7: re-encrypt to the backend" };
    private readonly Option<string?> _backendCa = new("--backend-ca") { Description = "l7: CA that verifies the backend" };
    private readonly Option<bool> _backendH2c = new("--backend-h2c") { Description = "l7: plaintext HTTP/2 to the backend" };
    private readonly Option<bool> _sendProxyProtocol = new("--send-proxy-protocol") { Description = "l4: prepend a PROXY v2 header" };

    public RoutesAddCommand(GlobalOptions globals, CtlContext context)
        : base("add", "Add a route, or replace the listener's route of the same hostname", globals, context)
    {
        _mode.AcceptOnlyFromAmong("l4", "l7");
        foreach (var option in new Option[] { _listener, _hostname, _backend, _mode, _tlsCert, _tlsKey, _backendTls, _backendCa, _backendH2c, _sendProxyProtocol })
        {
            Options.Add(option);
        }
    }

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var route = new Route
        {
            Hostname = result.GetValue(_hostname)!,
            Backend = result.GetValue(_backend)!,
            Mode = result.GetValue(_mode)!,
            TlsCert = result.GetValue(_tlsCert) ?? "",
            TlsKey = result.GetValue(_tlsKey) ?? "",
            BackendTls = result.GetValue(_backendTls),
            BackendCa = result.GetValue(_backendCa) ?? "",
            BackendH2C = result.GetValue(_backendH2c),
            SendProxyProtocol = result.GetValue(_sendProxyProtocol),
        };
        var stored = await client.AddRouteAsync(result.GetValue(_listener)!, route, cancellationToken);
        if (json)
        {
            await WriteJsonAsync(new AddRouteResponse { Route = stored });
            return;
        }

        await Context.Out.WriteLineAsync($"route {stored.Hostname} on {stored.ListenerAddr}: {stored.Mode} to {stored.Backend}");
    }
}
