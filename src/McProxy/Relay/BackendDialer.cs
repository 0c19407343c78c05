using System.Net;
using System.Net.Sockets;

namespace McProxy.Relay;

/// <summary>Dials a backend. The connect deadline is enforced from outside by closing the connection.</summary>
internal static class BackendDialer
{
    public static async ValueTask<DialResult> ConnectAsync(EndPoint endPoint)
    {
        // A DnsEndPoint may resolve to IPv4 or IPv6: a dual-mode IPv6 socket reaches both.
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endPoint);
            return new DialResult(socket, null);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return new DialResult(null, e is SocketException se ? $"connect {endPoint}: {se.SocketErrorCode}" : $"connect {endPoint}: timed out");
        }
    }
}

internal readonly record struct DialResult(Socket? Socket, string? Error);
