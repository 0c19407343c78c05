using System.CommandLine;
using McProxy.Client;

namespace McProxyCtl;

/// <summary>Where the server is, from the flags or else the environment; flags win, and a socket wins over an address.</summary>
internal sealed record ServerEndpoint(string? Socket, string? Addr, string? Ca, string? Cert, string? Key)
{
    public static bool TryResolve(ParseResult result, GlobalOptions options, CtlContext context, out ServerEndpoint endpoint, out string error)
    {
        var socket = result.GetValue(options.Socket);
        var addr = result.GetValue(options.Addr);
        endpoint = new ServerEndpoint(null, null, result.GetValue(options.Ca), result.GetValue(options.Cert), result.GetValue(options.Key));
        error = "";
        if (socket is not null && addr is not null)
        {
            error = "--socket and --addr are exclusive: name one server";
            return false;
        }

        if (socket is null && addr is null)
        {
            socket = NonEmpty(context.Environment(GlobalOptions.SocketVariable));
            addr = socket is null ? NonEmpty(context.Environment(GlobalOptions.AddrVariable)) : null;
        }

        if (socket is null && addr is null)
        {
            error = $"no server: pass --socket PATH or --addr HOST:PORT (or set {GlobalOptions.SocketVariable} or {GlobalOptions.AddrVariable})";
            return false;
        }

        if (socket is not null && (endpoint.Ca ?? endpoint.Cert ?? endpoint.Key) is not null)
        {
            error = "--ca, --cert and --key apply to --addr (TLS), not to a Unix socket";
            return false;
        }

        if ((endpoint.Cert is null) != (endpoint.Key is null))
        {
            error = "--cert and --key go together";
            return false;
        }

        endpoint = endpoint with { Socket = socket, Addr = addr };
        return true;
    }

    public McProxyClient CreateClient()
        => Socket is not null ? McProxyClient.ForUnixSocket(Socket) : McProxyClient.ForAddress(Addr!, Ca, Cert, Key);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
