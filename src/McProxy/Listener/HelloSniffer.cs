using System.Buffers;
using System.Net.Sockets;
using McProxy.Tls;

namespace McProxy.Listener;

/// <summary>
/// Reads from a new connection until its ClientHello is complete, keeping every byte for replay. Waits with a
/// zero-byte read before renting a buffer, so a client that connects and says nothing holds no buffer.
/// The deadline is enforced from outside (<see cref="ConnectionTracker"/> closes the socket).
/// </summary>
internal static class HelloSniffer
{
    /// <summary>First buffer: a real ClientHello, Chrome's post-quantum one included, fits in 4 KiB.</summary>
    public const int InitialBufferSize = 4096;

    /// <summary>The 16 KiB handshake limit plus room for record headers when a client splits the message.</summary>
    public const int MaxBufferSize = ClientHelloParser.MaxHandshakeLength + 4 + 2048;

    /// <summary>
    /// The parse result with the bytes read so far, in a buffer rented from <see cref="ArrayPool{T}.Shared"/>
    /// that the caller returns. On end of stream the result is Invalid.
    /// </summary>
    /// <param name="socket">The client connection.</param>
    /// <param name="preRead">
    /// Bytes of the TLS stream already received (those that came after a PROXY header in the same read): parsed
    /// first and kept at the start of the buffer, so the replay holds every byte the client sent after its header.
    /// </param>
    public static async ValueTask<SniffResult> SniffAsync(Socket socket, ReadOnlyMemory<byte> preRead = default)
    {
        if (preRead.IsEmpty)
        {
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
        }

        // Every pre-read byte is kept (a PROXY header reader hands on at most its own 4 KiB buffer's worth).
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(InitialBufferSize, preRead.Length));
        var length = 0;
        try
        {
            if (!preRead.IsEmpty)
            {
                preRead.CopyTo(buffer);
                length = preRead.Length;
                var first = length > MaxBufferSize
                    ? TooLarge()
                    : ClientHelloParser.TryParse(buffer.AsSpan(0, length));
                if (first.Status != HelloParseStatus.Incomplete)
                {
                    return new SniffResult(first, buffer, length);
                }
            }

            while (true)
            {
                if (length >= MaxBufferSize)
                {
                    // Refused now: another read would be a zero-byte one, which waits for the client's next byte (or
                    // hello_timeout) and then reads nothing. The pool's buffer is usually larger than the cap, so the
                    // cap is what is compared, not the buffer's length.
                    return new SniffResult(TooLarge(), buffer, length);
                }

                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBufferSize));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await socket.ReceiveAsync(buffer.AsMemory(length, Math.Min(buffer.Length, MaxBufferSize) - length), SocketFlags.None);
                if (read == 0)
                {
                    var error = length == 0 ? "client closed without sending anything" : $"client closed after {length} bytes of an incomplete ClientHello";
                    return new SniffResult(HelloParseResult.Invalid(error), buffer, length);
                }

                length += read;
                var result = ClientHelloParser.TryParse(buffer.AsSpan(0, length));
                if (result.Status != HelloParseStatus.Incomplete)
                {
                    return new SniffResult(result, buffer, length);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Nothing that fits the 16 KiB message limit (framed in records of a sane size) is still incomplete here:
    /// a larger message, or one split into a great many tiny records.
    /// </summary>
    private static HelloParseResult TooLarge()
        => HelloParseResult.Invalid($"ClientHello larger than 16 KiB: not complete within {MaxBufferSize} bytes");
}

/// <summary>What <see cref="HelloSniffer"/> read: the parse result and the raw bytes (Buffer[..Length]).</summary>
internal readonly record struct SniffResult(HelloParseResult Result, byte[] Buffer, int Length);
