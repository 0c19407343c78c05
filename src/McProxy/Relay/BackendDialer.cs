using System.Net;
using System.Net.Sockets;

namespace McProxy.Relay;

/// <summary>
/// Dials a backend. The socket is created first and handed to the caller, who keeps it where its deadline and
/// drain can close it: the connect deadline is enforced from outside, and closing the socket is what cancels a
/// dial the backend never answers (dropped SYNs would otherwise hold it until the kernel gives up, minutes later).
/// </summary>
internal static class BackendDialer
{
    public static Socket CreateSocket(EndPoint endPoint)
    {
        // A DnsEndPoint may resolve to IPv4 or IPv6: a dual-mode IPv6 socket reaches both.
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        return socket;
    }

    /// <summary>Connects <paramref name="socket"/>; null when connected, else why not.</summary>
    public static async ValueTask<string?> ConnectAsync(Socket socket, EndPoint endPoint)
    {
        try
        {
            await socket.ConnectAsync(endPoint);
            return null;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return e is SocketException { SocketErrorCode: not SocketError.OperationAborted } se
                ? $"connect {endPoint}: {se.SocketErrorCode}"
                : $"connect {endPoint}: cancelled";
        }
    }
}
