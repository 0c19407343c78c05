using System.Buffers;
using System.Net;
using System.Net.Sockets;
using McProxy.ProxyProtocol;
using McProxy.Routing;

namespace McProxy.Relay;

/// <summary>
/// The L4 route target: dial the backend within connect_timeout, replay the sniffed ClientHello (after a PROXY v2
/// header, when the route sends one), then relay both ways (<see cref="TcpRelay"/>) until both directions end.
/// </summary>
internal sealed class L4RelayTarget(TimeSpan connectTimeout) : IRouteTarget
{
    private readonly long _connectTimeoutMs = (long)connectTimeout.TotalMilliseconds;

    public async Task<ConnectionResult> ServeAsync(RoutedConnection connection)
    {
        var endPoint = connection.Route.BackendEndPoint;
        var backend = BackendDialer.CreateSocket(endPoint);
        // Handed to the connection before the connect: the deadline or a drain closes the dialing socket, which
        // cancels a connect the backend never answers and frees the slot now, not when the kernel gives up on the SYNs.
        if (!connection.Phases.EnterConnecting(backend))
        {
            return new ConnectionResult(ConnectionOutcome.Ok, $"connect {endPoint}: cancelled");
        }

        if (await BackendDialer.ConnectAsync(backend, endPoint) is { } error)
        {
            return new ConnectionResult(
                ConnectionOutcome.BackendUnreachable,
                connection.Phases.AbortOutcome == ConnectionOutcome.BackendUnreachable
                    ? $"connect {endPoint}: no answer within connect_timeout ({_connectTimeoutMs} ms)"
                    : error);
        }

        if (connection.Phases.AbortOutcome is not null)
        {
            return ConnectionResult.Ok;
        }

        if (connection.Route.Route.SendProxyProtocol)
        {
            await SendWithProxyHeaderAsync(connection, backend);
        }
        else
        {
            await backend.SendAsync(connection.HelloBytes, SocketFlags.None);
        }

        connection.Connection.CountFromClient(connection.HelloLength);
        connection.ReleaseHello();
        connection.Phases.EnterRelaying();
        await TcpRelay.RunAsync(connection.Connection, connection.Client, backend);
        return ConnectionResult.Ok;
    }

    /// <summary>
    /// A PROXY v2 header for the backend (the real client, the address it connected to, TLVs for the SNI and the
    /// client's first ALPN choice: the one it prefers, as the negotiated one is unknown at L4), then the
    /// ClientHello, in one send so that a backend reading the header gets it whole in the common case.
    /// </summary>
    private static async Task SendWithProxyHeaderAsync(RoutedConnection connection, Socket backend)
    {
        var client = connection.Connection.ClientEndPoint;
        var destination = connection.OriginalDestination
            ?? (connection.Client.LocalEndPoint as IPEndPoint)
            ?? new IPEndPoint(IPAddress.Any, 0);
        var hello = connection.Hello;
        var alpn = hello.Alpn.Length > 0 ? hello.Alpn[0] : null;
        var headerLength = ProxyHeaderWriter.GetV2Length(client, destination, hello.ServerName, alpn);
        var buffer = ArrayPool<byte>.Shared.Rent(headerLength + connection.HelloLength);
        try
        {
            ProxyHeaderWriter.WriteV2(buffer, client, destination, hello.ServerName, alpn);
            connection.HelloBytes.Span.CopyTo(buffer.AsSpan(headerLength));
            await backend.SendAsync(buffer.AsMemory(0, headerLength + connection.HelloLength), SocketFlags.None);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
