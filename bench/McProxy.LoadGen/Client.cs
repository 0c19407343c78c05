using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace McProxy.LoadGen;

/// <summary>What every client scenario shares: dialing through the proxy with a ClientHello, and the result line.</summary>
internal static class Client
{
    /// <summary>Time before a measurement window opens: connections, JIT and pools settle.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);

    public static async Task<Socket> ConnectAsync(IPEndPoint target, byte[] hello, CancellationToken cancel = default)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, cancel);
            await socket.SendAsync(hello, SocketFlags.None, cancel);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            buffer = buffer[read..];
        }
    }

    public static int Print(object result)
    {
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
