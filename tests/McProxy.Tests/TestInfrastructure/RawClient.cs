using System.Net;
using System.Net.Sockets;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>A plain TCP client for feeding the proxy exact bytes and observing how it closes.</summary>
public static class RawClient
{
    /// <summary>Reads until end of stream; returns how the connection ended: "eof" or "reset".</summary>
    public static async Task<string> ReadToEndAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
            }

            return "eof";
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }
    }

    /// <summary>
    /// Connects, sends <paramref name="bytes"/> and reads to the end: how it ended ("eof" or "reset") and how many
    /// bytes came back first. A reset counts wherever it shows: a proxy that resets at accept can beat the connect
    /// call's return, and Linux reports a reset once, to whichever call comes first.
    /// </summary>
    public static async Task<(string End, int Received)> SendAndReadEndAsync(IPEndPoint endPoint, byte[] bytes, TimeSpan? timeout = null)
    {
        var received = 0;
        try
        {
            using var socket = await ConnectAsync(endPoint);
            await socket.SendAsync(bytes, SocketFlags.None);
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            var buffer = new byte[4096];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received += read;
            }

            return ("eof", received);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            return ("reset", received);
        }
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return socket;
    }
}
