using System.Net.Sockets;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>A Unix socket file nobody listens on, as a server that died (SIGKILL) leaves it.</summary>
public static class StaleSocket
{
    public static void Create(string path)
    {
        // .NET removes the file a socket bound when the socket is disposed; moved away first, it stays.
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path + ".bound"));
        socket.Listen();
        File.Move(path + ".bound", path);
    }
}
