using System.Buffers;
using System.Net;
using System.Net.Sockets;
using McProxy.ProxyProtocol;
using McProxy.Routing;
using McProxy.Routing.Pools;

namespace McProxy.Relay;

/// <summary>
/// The L4 route target: pick a member of the route's pool, dial it within connect_timeout, replay the sniffed
/// ClientHello (after a PROXY v2 header, when the route sends one), then relay both ways (<see cref="TcpRelay"/>)
/// until both directions end. The member's lease is held until then, so least connections counts it.
/// </summary>
/// <remarks>
/// A failed or timed-out dial marks the member (<see cref="PoolMember.RecordConnectFailure"/>) and the next usable
/// member is dialed, within what is left of connect_timeout: the connection's deadline still closes the dialing
/// socket at connect_timeout, so a black-holed backend never holds the slot longer. Each attempt gets an equal share
/// of what is left among the members still to try (HAProxy gives each server attempt its own <c>timeout
/// connect</c>): a black hole first in line costs a third of the budget in a pool of three, not all of it, and a
/// single-backend route's one attempt gets the whole connect_timeout, as before pools.
/// </remarks>
internal sealed class L4RelayTarget(TimeSpan connectTimeout) : IRouteTarget
{
    private readonly long _connectTimeoutMs = (long)connectTimeout.TotalMilliseconds;

    public async Task<ConnectionResult> ServeAsync(RoutedConnection connection)
    {
        var pool = connection.Route.Pool;
        ulong tried = 0;
        var share = Math.Max(1, pool.CountUsable(tried));
        if (!pool.TryAcquire(ref tried, out var lease))
        {
            return new ConnectionResult(ConnectionOutcome.NoBackend, NoBackend.Describe(pool));
        }

        try
        {
            Socket backend;
            while (true)
            {
                var member = lease.Member;
                var endPoint = member.EndPoint;
                backend = BackendDialer.CreateSocket(endPoint);
                // Handed to the connection before the connect: the deadline or a drain closes the dialing socket, which
                // cancels a connect the backend never answers and frees the slot now, not when the kernel gives up on the SYNs.
                if (!connection.Phases.EnterConnecting(backend, member.Address.ToString(), share))
                {
                    return new ConnectionResult(ConnectionOutcome.Ok, $"connect {endPoint}: cancelled");
                }

                var error = await BackendDialer.ConnectAsync(backend, endPoint);
                var aborted = connection.Phases.AbortOutcome;
                if (error is null)
                {
                    if (aborted is not null)
                    {
                        return ConnectionResult.Ok;
                    }

                    break;
                }

                if (aborted is not null && aborted != ConnectionOutcome.BackendUnreachable)
                {
                    // A drain or shutdown closed the dial: not the backend's fault, and its outcome is the one logged.
                    return new ConnectionResult(ConnectionOutcome.BackendUnreachable, error);
                }

                // The dial's own failure, or its share of connect_timeout spent (the sweeper closed the socket: "cancelled").
                var reason = aborted is not null
                    ? $"connect {endPoint}: no answer within connect_timeout ({_connectTimeoutMs} ms)"
                    : error.EndsWith(": cancelled", StringComparison.Ordinal)
                        ? $"connect {endPoint}: no answer within its share of connect_timeout"
                        : error;
                member.RecordConnectFailure(reason);
                lease.Dispose();
                share = Math.Max(1, pool.CountUsable(tried));
                if (aborted is not null || !pool.TryAcquire(ref tried, out lease))
                {
                    return new ConnectionResult(ConnectionOutcome.BackendUnreachable, reason);
                }
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
        finally
        {
            // Once, at the connection's end (or its last failed dial): the member's active count goes back down.
            lease.Dispose();
        }
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
