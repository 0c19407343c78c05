using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using McProxy.Routing;

namespace McProxy.Relay;

/// <summary>
/// The relay's splice(2) pumps, as HAProxy's splice-auto: each direction moves socket to pipe to socket without
/// copying the bytes into user space. No thread blocks: a direction waits for data with the same zero-byte read as
/// the copy loop, and the splices are non-blocking (the sockets are non-blocking, as .NET keeps them on Linux, and
/// SPLICE_F_NONBLOCK for the pipe). When the receiver's send buffer is full, .NET has no way to wait for room
/// without sending something, so that chunk is read out of the pipe and sent with the ordinary async send, which
/// waits on the event loop; the next chunk is spliced again. Everything else is the copy loop's: bytes are counted
/// and the idle deadline touched per chunk, a FIN becomes a shutdown the other way, an error or an abort (which
/// closes the sockets) ends both directions, and the sockets' handles are held across each system call so that a
/// concurrent close cannot hand their descriptor numbers to another file.
/// </summary>
internal sealed partial class TcpRelay
{
    /// <summary>Whether L4 relays splice: on Linux, unless the environment says <c>MCPROXY_SPLICE=0</c>.</summary>
    internal static readonly bool SpliceEnabled =
        OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("MCPROXY_SPLICE") != "0";

    private const int Again = -1;
    private const int Unsupported = -2;

    /// <summary>0 until a direction has checked both sockets; then 1 (both non-blocking) or -1.</summary>
    private int _socketsNonBlocking;

    /// <summary>
    /// Whether splices between <paramref name="from"/> and <paramref name="to"/> (the relay's two sockets, in either
    /// order) can be trusted not to block. .NET makes a socket non-blocking at its first async operation, which both
    /// of a relay's sockets have had by the time data flows (each pump's first zero-byte read). Checked once per
    /// connection, by the first direction to carry a chunk, so an idle connection never pays for it and a short one
    /// pays two fcntl calls, not four; the two directions racing to it both check, and agree.
    /// </summary>
    private bool SocketsNonBlocking(Socket from, Socket to)
    {
        var known = Volatile.Read(ref _socketsNonBlocking);
        if (known == 0)
        {
            known = OperatingSystem.IsLinux() && IsNonBlocking(from) && IsNonBlocking(to) ? 1 : -1;
            Volatile.Write(ref _socketsNonBlocking, known);
        }

        return known > 0;
    }

    private static bool IsNonBlocking(Socket socket)
    {
        try
        {
            using var descriptor = new SocketDescriptor(socket);
            return SpliceNative.IsNonBlocking(descriptor.Fd);
        }
        catch (ObjectDisposedException)
        {
            // Aborted already: the copy loop's first read ends the relay the usual way.
            return false;
        }
    }

    private async Task SplicePumpAsync(Socket from, Socket to, bool fromClient)
    {
        SplicePipe? pipe = null;
        try
        {
            while (true)
            {
                if (pipe is null)
                {
                    // Idle: wait for data holding no pipe, as the copy loop holds no buffer.
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                    pipe = SplicePipe.Rent();
                    if (pipe is null)
                    {
                        // No pipe to be had (the descriptor bound, or pipe2 failed): this direction copies.
                        await PumpAsync(from, to, fromClient);
                        return;
                    }

                    if (!SocketsNonBlocking(from, to))
                    {
                        SplicePipe.Return(pipe);
                        pipe = null;
                        await PumpAsync(from, to, fromClient);
                        return;
                    }
                }

                var moved = SpliceIn(from, pipe);
                if (moved <= 0)
                {
                    // The pipe is empty in every case here: each chunk is sent on before the next is read.
                    SplicePipe.Return(pipe);
                    pipe = null;
                    if (moved == Again)
                    {
                        continue;
                    }

                    if (moved == Unsupported)
                    {
                        await PumpAsync(from, to, fromClient);
                        return;
                    }

                    EndDirection(to);
                    return;
                }

                await SendFromPipeAsync(pipe, to, moved);
                Moved(moved, fromClient);
                if (moved < pipe.Size)
                {
                    // The socket is likely drained: park on a zero-byte read without holding the pipe.
                    SplicePipe.Return(pipe);
                    pipe = null;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _connection.Abort(ConnectionOutcome.Reset);
        }
        finally
        {
            // Only an error leaves a pipe here, and it may hold bytes nobody will take: close it.
            pipe?.Dispose();
        }
    }

    /// <summary>Socket to pipe: the bytes moved, 0 at end of stream, <see cref="Again"/> or <see cref="Unsupported"/>.</summary>
    private static int SpliceIn(Socket from, SplicePipe pipe)
    {
        using var descriptor = new SocketDescriptor(from);
        while (true)
        {
            var moved = SpliceNative.Splice(descriptor.Fd, 0, pipe.WriteFd, 0, (nuint)pipe.Size, SpliceNative.SpliceMove | SpliceNative.SpliceNonBlock);
            if (moved >= 0)
            {
                return (int)moved;
            }

            switch (Marshal.GetLastPInvokeError())
            {
                case SpliceNative.EInterrupted:
                    continue;
                case SpliceNative.EAgain:
                    return Again;
                case SpliceNative.EInvalid:
                    return Unsupported;
                default:
                    throw new SocketException((int)SocketError.ConnectionReset);
            }
        }
    }

    /// <summary>Pipe to socket, all <paramref name="count"/> bytes the pipe holds.</summary>
    private static async ValueTask SendFromPipeAsync(SplicePipe pipe, Socket to, int count)
    {
        var left = count - SpliceOut(pipe, to, count);
        if (left == 0)
        {
            return;
        }

        // The receiver's buffer is full: take the rest out of the pipe and let the async send wait for room.
        var buffer = ArrayPool<byte>.Shared.Rent(left);
        try
        {
            var read = 0;
            while (read < left)
            {
                var got = SpliceNative.Read(pipe.ReadFd, ref buffer[read], (nuint)(left - read));
                if (got <= 0 && Marshal.GetLastPInvokeError() != SpliceNative.EInterrupted)
                {
                    throw new SocketException((int)SocketError.ConnectionReset);
                }

                read += (int)Math.Max(got, 0);
            }

            var sent = 0;
            while (sent < left)
            {
                sent += await to.SendAsync(buffer.AsMemory(sent, left - sent), SocketFlags.None);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Splices from the pipe to <paramref name="to"/> until done or it would block; returns the bytes moved.</summary>
    private static int SpliceOut(SplicePipe pipe, Socket to, int count)
    {
        using var descriptor = new SocketDescriptor(to);
        var done = 0;
        while (done < count)
        {
            var moved = SpliceNative.Splice(pipe.ReadFd, 0, descriptor.Fd, 0, (nuint)(count - done), SpliceNative.SpliceMove | SpliceNative.SpliceNonBlock);
            if (moved > 0)
            {
                done += (int)moved;
                continue;
            }

            var errno = moved == 0 ? SpliceNative.EAgain : Marshal.GetLastPInvokeError();
            if (errno == SpliceNative.EInterrupted)
            {
                continue;
            }

            if (errno == SpliceNative.EAgain)
            {
                return done;
            }

            throw new SocketException((int)SocketError.ConnectionReset);
        }

        return done;
    }
}
