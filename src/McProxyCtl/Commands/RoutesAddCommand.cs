using System.CommandLine;
using McProxy.Client;
using McProxy.Client.V1;

namespace McProxyCtl.Commands;

/// <summary>
/// `mcproxyctl routes add --listener ADDR --hostname NAME --backend HOST:PORT [--backend HOST:PORT ...] [--balance B]
/// [--health-check C] [--mode l4|l7] ...`: add or replace.
/// </summary>
internal sealed class RoutesAddCommand : CtlCommand
{
    private readonly Option<string> _listener = RoutesCommand.ListenerOption(required: true);
    private readonly Option<string> _hostname = RoutesCommand.HostnameOption();
    private readonly Option<string[]> _backend = new("--backend")
    {
        Description = "Backend HOST:PORT; repeat for a pool, in order (the order --balance first goes by)",
        Required = true,
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string?> _balance = new("--balance") { Description = "least_connections (default), round_robin or first" };
    private readonly Option<string?> _healthCheck = new("--health-check") { Description = "tcp, http:PATH (l7) or none; default: tcp for a pool, none for one backend" };
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
        _balance.AcceptOnlyFromAmong("least_connections", "round_robin", "first");
        foreach (var option in new Option[] { _listener, _hostname, _backend, _balance, _healthCheck, _mode, _tlsCert, _tlsKey, _backendTls, _backendCa, _backendH2c, _sendProxyProtocol })
        {
            Options.Add(option);
        }
    }

    protected override async Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken)
    {
        var backends = result.GetValue(_backend)!;
        var route = new Route
        {
            Hostname = result.GetValue(_hostname)!,
            Balance = result.GetValue(_balance) ?? "",
            HealthCheck = result.GetValue(_healthCheck) ?? "",
            Mode = result.GetValue(_mode)!,
            TlsCert = result.GetValue(_tlsCert) ?? "",
            TlsKey = result.GetValue(_tlsKey) ?? "",
            BackendTls = result.GetValue(_backendTls),
            BackendCa = result.GetValue(_backendCa) ?? "",
            BackendH2C = result.GetValue(_backendH2c),
            SendProxyProtocol = result.GetValue(_sendProxyProtocol),
        };

        // One backend goes as the single field, which a server without pools understands too.
        if (backends.Length == 1)
        {
            route.Backend = backends[0];
        }
        else
        {
            route.Backends.AddRange(backends);
        }

        var stored = await client.AddRouteAsync(result.GetValue(_listener)!, route, cancellationToken);
        if (json)
        {
            await WriteJsonAsync(new AddRouteResponse { Route = stored });
            return;
        }

        var pool = stored.Backends.Count > 1 ? $" ({stored.Balance}, health check {stored.HealthCheck})" : "";
        await Context.Out.WriteLineAsync($"route {stored.Hostname} on {stored.ListenerAddr}: {stored.Mode} to {string.Join(", ", RoutesListCommand.Backends(stored))}{pool}");
    }
}
