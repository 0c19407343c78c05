using System.Buffers;
using System.Net.Sockets;
using McProxy.Routing;

namespace McProxy.Relay;

/// <summary>
/// Copies bytes both ways between client and backend until both directions have ended. A FIN one way is passed on
/// as a shutdown of the other socket's sending side, so a half-closed connection keeps flowing the other way.
/// While a direction is idle it waits with a zero-byte read and holds no buffer: an idle relayed connection costs
/// its two sockets and little else. On Linux each direction moves its bytes with splice(2) through a pipe instead
/// (<c>TcpRelay.Splice.cs</c>), unless <c>MCPROXY_SPLICE=0</c>; the copy loop is the fallback.
/// </summary>
internal sealed partial class TcpRelay
{
    /// <summary>64 KiB per active direction: large enough for full-rate bulk transfer, returned to the pool when idle.</summary>
    public const int BufferSize = 64 * 1024;

    private readonly IConnectionView _connection;
    private int _directionsEnded;

    private TcpRelay(IConnectionView connection) => _connection = connection;

    public static Task RunAsync(IConnectionView connection, Socket client, Socket backend)
        => RunAsync(connection, client, backend, SpliceEnabled);

    /// <summary>Relays with splice(2) or with the copy loop as <paramref name="splice"/> says (tests run both).</summary>
    internal static Task RunAsync(IConnectionView connection, Socket client, Socket backend, bool splice)
    {
        var relay = new TcpRelay(connection);
        return splice && client.ProtocolType == ProtocolType.Tcp && backend.ProtocolType == ProtocolType.Tcp
            ? Task.WhenAll(
                relay.SplicePumpAsync(client, backend, fromClient: true),
                relay.SplicePumpAsync(backend, client, fromClient: false))
            : Task.WhenAll(
                relay.PumpAsync(client, backend, fromClient: true),
                relay.PumpAsync(backend, client, fromClient: false));
    }

    private async Task PumpAsync(Socket from, Socket to, bool fromClient)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // A zero-byte read: when it has to wait, .NET completes it on the readiness event without a
                    // system call, so a direction that wakes up costs the failed first try and one real read.
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }

                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    EndDirection(to);
                    return;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                }

                Moved(read, fromClient);
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
            _connection.Abort(ConnectionOutcome.Reset);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private void Moved(int bytes, bool fromClient)
    {
        if (fromClient)
        {
            _connection.CountFromClient(bytes);
        }
        else
        {
            _connection.CountFromBackend(bytes);
        }

        _connection.Touch();
    }

    /// <summary>
    /// The sender of one direction finished. While the other direction still flows its FIN is passed on as a
    /// shutdown; once both have ended the sockets are closed next, and the close sends that FIN (everything sent
    /// to us has been read, so it is a FIN, not a reset), so the shutdown would be one system call too many.
    /// </summary>
    private void EndDirection(Socket to)
    {
        if (Interlocked.Increment(ref _directionsEnded) == 1)
        {
            to.Shutdown(SocketShutdown.Send);
        }
    }
}
