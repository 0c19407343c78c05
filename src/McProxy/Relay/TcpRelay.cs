using System.Buffers;
using System.Net.Sockets;
using McProxy.Listener;

namespace McProxy.Relay;

/// <summary>
/// Copies bytes both ways between client and backend until both directions have ended. A FIN one way is passed on
/// as a shutdown of the other socket's sending side, so a half-closed connection keeps flowing the other way.
/// While a direction is idle it waits with a zero-byte read and holds no buffer: an idle relayed connection costs
/// its two sockets and little else.
/// </summary>
internal static class TcpRelay
{
    /// <summary>64 KiB per active direction: large enough for full-rate bulk transfer, returned to the pool when idle.</summary>
    public const int BufferSize = 64 * 1024;

    public static Task RunAsync(ProxyConnection connection, Socket client, Socket backend)
        => Task.WhenAll(
            PumpAsync(connection, client, backend, fromClient: true),
            PumpAsync(connection, backend, client, fromClient: false));

    private static async Task PumpAsync(ProxyConnection connection, Socket from, Socket to, bool fromClient)
    {
        byte[]? buffer = null;
        var metrics = connection.RouteMetrics!;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }

                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                }

                if (fromClient)
                {
                    connection.BytesFromClient += read;
                    metrics.FromClient(read);
                }
                else
                {
                    connection.BytesFromBackend += read;
                    metrics.FromBackend(read);
                }

                connection.Touch();
                if (read < buffer.Length)
                {
                    // The socket is likely drained: park on a zero-byte read without holding the buffer.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // One side reset or the connection was aborted: end both directions.
            connection.Abort(ConnectionOutcome.Reset);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
