using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// An abusive HTTP/2 client for tests: TLS with ALPN h2, the connection preface, then whatever frames the test
/// writes, built by hand (a test client may misbehave in ways no HTTP library allows), never reading what the
/// server answers. <see cref="Reset"/> ends it with a TCP reset.
/// </summary>
public sealed class RawHttp2Client : IDisposable
{
    /// <summary>RST_STREAM's CANCEL error code, as a browser sends when the user navigates away.</summary>
    private const uint Cancel = 8;

    private readonly Socket _socket;
    private readonly SslStream _tls;

    private RawHttp2Client(Socket socket, SslStream tls)
    {
        _socket = socket;
        _tls = tls;
    }

    /// <summary>Frames the server accepted before it stopped reading or closed.</summary>
    public int FramesSent { get; private set; }

    public static async Task<RawHttp2Client> ConnectAsync(IPEndPoint proxy, string serverName, TestCertificates trust)
    {
        var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(proxy);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => trust.Validate(certificate, serverName),
        });
        Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
        var client = new RawHttp2Client(socket, tls);
        await tls.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await tls.WriteAsync(Frame(type: 4, flags: 0, streamId: 0, []));
        return client;
    }

    /// <summary>A GET on stream <paramref name="streamId"/> (odd) and its immediate cancellation: one round of a rapid reset.</summary>
    public static byte[] HeadersThenReset(int streamId, string authority)
    {
        // HPACK: indexed :method GET, :scheme https, :path /; :authority as a literal with an indexed name.
        var value = Encoding.ASCII.GetBytes(authority);
        var block = new byte[] { 0x82, 0x87, 0x84, 0x01, (byte)value.Length }.Concat(value).ToArray();
        var code = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(code, Cancel);
        return [.. Frame(type: 1, flags: 0x05, streamId, block), .. Frame(type: 3, flags: 0, streamId, code)];
    }

    public static byte[] Ping(long payload)
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(data, payload);
        return Frame(type: 6, flags: 0, streamId: 0, data);
    }

    /// <summary>A SETTINGS frame changing SETTINGS_MAX_CONCURRENT_STREAMS, which the server must acknowledge.</summary>
    public static byte[] Settings(int round)
    {
        var data = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(data, 3);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(2), (uint)(100 + (round % 10)));
        return Frame(type: 4, flags: 0, streamId: 0, data);
    }

    /// <summary>
    /// Writes <paramref name="count"/> frames from <paramref name="frame"/> (given the round) in 16 KiB batches, until
    /// all are written, the server closes, or a batch waits more than <paramref name="stall"/> (the server stopped
    /// reading): a flood ends there, as an attacker's would.
    /// </summary>
    public async Task FloodAsync(int count, Func<int, byte[]> frame, TimeSpan stall)
    {
        var batch = new List<byte>(32 * 1024);
        var inBatch = 0;
        for (var round = 0; round < count; round++)
        {
            batch.AddRange(frame(round));
            inBatch++;
            if (batch.Count >= 16 * 1024 || round == count - 1)
            {
                using var cts = new CancellationTokenSource(stall);
                try
                {
                    await _tls.WriteAsync(batch.ToArray(), cts.Token);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }

                FramesSent += inBatch;
                batch.Clear();
                inBatch = 0;
            }
        }
    }

    /// <summary>Ends the connection with a TCP reset (SO_LINGER 0), whatever is unread or unsent.</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public void Dispose()
    {
        _tls.Dispose();
        _socket.Dispose();
    }

    private static byte[] Frame(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId & int.MaxValue);
        payload.CopyTo(frame, 9);
        return frame;
    }
}
