using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace McProxy.Relay;

/// <summary>
/// A socket's file descriptor, held for one system call: the socket's handle is referenced until
/// <see cref="Dispose"/>, so a concurrent close (an abort) cannot free the number and hand it to another file while
/// the call runs. Constructing it throws <see cref="ObjectDisposedException"/> when the socket is closed already.
/// </summary>
internal readonly ref struct SocketDescriptor
{
    private readonly SafeHandle _handle;

    public SocketDescriptor(Socket socket)
    {
        _handle = socket.SafeHandle;
        var added = false;
        _handle.DangerousAddRef(ref added);
        Fd = (int)_handle.DangerousGetHandle();
    }

    public int Fd { get; }

    public void Dispose() => _handle.DangerousRelease();
}
