using System.Buffers;
using System.Net.Sockets;
using McProxy.ProxyProtocol;

namespace McProxy.Listener;

/// <summary>
/// Reads a PROXY v1/v2 header from a new connection, a segment at a time, with <see cref="ProxyHeaderParser"/>
/// re-run over everything received. Whatever arrived after the header is the start of the TLS stream and is handed
/// on in the result (<see cref="ProxyHeaderReadResult.Rest"/>), for the ClientHello sniffer to continue from: not a
/// byte is lost. The deadline is enforced from outside, as for the ClientHello.
/// </summary>
internal static class ProxyHeaderReader
{
    /// <summary>
    /// One buffer of the parser's bound: the parser decides (Complete or Invalid) before that many bytes, so a
    /// full buffer is never Incomplete.
    /// </summary>
    public const int BufferSize = ProxyHeaderParser.MaxHeaderBytes;

    /// <summary>Reads until the header is complete, invalid, or the peer closes. The caller returns the buffer.</summary>
    public static async ValueTask<ProxyHeaderReadResult> ReadAsync(Socket socket)
    {
        // As the sniffer does: a peer that connects and says nothing holds no buffer.
        await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var length = 0;
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(length, BufferSize - length), SocketFlags.None);
                if (read == 0)
                {
                    var error = length == 0 ? "peer closed without sending a PROXY header" : $"peer closed after {length} bytes of an incomplete PROXY header";
                    return new ProxyHeaderReadResult(null, error, buffer, 0, 0);
                }

                length += read;
                var result = ProxyHeaderParser.TryParse(buffer.AsSpan(0, length), out var header);
                switch (result.Status)
                {
                    case ProxyParseStatus.Complete:
                        return new ProxyHeaderReadResult(header, null, buffer, result.Consumed, length - result.Consumed);
                    case ProxyParseStatus.Invalid:
                        return new ProxyHeaderReadResult(null, result.Error, buffer, 0, 0);
                    default:
                        if (length == BufferSize)
                        {
                            // Unreachable by the parser's contract; refuse rather than loop on a full buffer.
                            return new ProxyHeaderReadResult(null, $"PROXY header not complete within {BufferSize} bytes", buffer, 0, 0);
                        }

                        break;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}

/// <summary>
/// What <see cref="ProxyHeaderReader"/> read: the header (null when invalid, with <see cref="Error"/>), and the bytes
/// that followed it, Buffer[RestOffset..RestOffset+RestLength], in a buffer rented from <see cref="ArrayPool{T}.Shared"/>.
/// </summary>
internal readonly record struct ProxyHeaderReadResult(ProxyHeader? Header, string? Error, byte[] Buffer, int RestOffset, int RestLength)
{
    public ReadOnlyMemory<byte> Rest => Buffer.AsMemory(RestOffset, RestLength);
}
