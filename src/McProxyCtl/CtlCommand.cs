using System.CommandLine;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using McProxy.Client;

namespace McProxyCtl;

/// <summary>
/// A verb that talks to the server: resolves the endpoint, runs, and turns failures into a line on stderr and an
/// exit code (usage 2, rejected by the server 1, server unreachable 3).
/// </summary>
internal abstract class CtlCommand : Command
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithPreserveProtoFieldNames(true));

    protected CtlCommand(string name, string description, GlobalOptions globals, CtlContext context)
        : base(name, description)
    {
        Globals = globals;
        Context = context;
        SetAction(RunAsync);
    }

    protected GlobalOptions Globals { get; }

    protected CtlContext Context { get; }

    protected abstract Task ExecuteAsync(ParseResult result, McProxyClient client, bool json, CancellationToken cancellationToken);

    protected Task WriteJsonAsync(IMessage message) => Context.Out.WriteLineAsync(Formatter.Format(message));

    /// <summary>No answer from the server: refused, timed out, or a TLS handshake that failed (which the client reports as Internal).</summary>
    private static bool IsTransportFailure(RpcException e)
        => e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled
            || (e.StatusCode == StatusCode.Internal && e.Status.DebugException is HttpRequestException or IOException or System.Security.Authentication.AuthenticationException);

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        if (!ServerEndpoint.TryResolve(result, Globals, Context, out var endpoint, out var error))
        {
            await Context.Error.WriteLineAsync($"mcproxyctl: {error}");
            return ExitCodes.Usage;
        }

        McProxyClient client;
        try
        {
            client = endpoint.CreateClient();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            await Context.Error.WriteLineAsync($"mcproxyctl: cannot load the TLS files: {e.Message}");
            return ExitCodes.Usage;
        }

        using (client)
        {
            try
            {
                await ExecuteAsync(result, client, result.GetValue(Globals.Json), cancellationToken);
                return ExitCodes.Success;
            }
            catch (RpcException e) when (IsTransportFailure(e))
            {
                await Context.Error.WriteLineAsync($"mcproxyctl: server {endpoint.Socket ?? endpoint.Addr} unreachable: {e.Status.Detail}");
                return ExitCodes.Unreachable;
            }
            catch (RpcException e)
            {
                await Context.Error.WriteLineAsync($"mcproxyctl: {e.Status.Detail} ({e.StatusCode})");
                return ExitCodes.Rejected;
            }
        }
    }
}
