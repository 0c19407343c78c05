using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Admin;

/// <summary>
/// The admin API's Unix socket file at <c>[grpc] addr = "unix:PATH"</c>. Only a stale socket (a socket file
/// nobody answers on, left by a server that died) is ever replaced; anything else at PATH refuses the start and is
/// left as it is. The socket is bound inside a fresh private directory beside PATH, set to 0600 there, and renamed
/// onto PATH: whatever the umask, PATH never names a socket others may connect to.
/// </summary>
internal static class AdminSocketFile
{
    /// <summary>sun_path holds 108 bytes, one of them the terminating NUL.</summary>
    private const int MaxSocketPathBytes = 107;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Throws unless PATH is free to take: nothing there, or a stale socket. A live server's socket is an
    /// <see cref="InvalidOperationException"/>; anything else a <see cref="StartRefusedException"/>.
    /// </summary>
    public static void Check(string addr, string path)
    {
        var kind = FileStatus.Of(path).Kind;
        if (kind == FileKind.Missing)
        {
            return;
        }

        if (kind != FileKind.Socket)
        {
            throw new StartRefusedException(
                $"grpc.addr: {RuleText.Clip(path)} is {FileStatus.Describe(kind)}, not a socket; mc-proxy replaces only a stale socket there and leaves this one untouched: choose another path for the admin socket, or move what is there");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return;
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"grpc.addr {addr}: cannot tell whether the socket at {RuleText.Clip(path)} is stale: {e.Message}", e);
        }

        throw new InvalidOperationException($"another server is listening on grpc.addr {addr}");
    }

    /// <summary>A fresh directory beside <paramref name="path"/>, mode 0700, and the socket path to bind in it.</summary>
    public static (string Directory, string SocketPath) CreatePrivateBinding(string addr, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("grpc.addr: a unix: admin socket needs a Unix system");
        }

        var parent = Path.GetDirectoryName(Path.GetFullPath(path))!;
        System.IO.Directory.CreateDirectory(parent);
        if (Encoding.UTF8.GetByteCount(Path.Combine(parent, ".mc-proxy-00000000", "s")) > MaxSocketPathBytes || Encoding.UTF8.GetByteCount(path) > MaxSocketPathBytes)
        {
            throw new StartRefusedException($"grpc.addr {RuleText.Clip(addr)}: the path is too long for a Unix socket (its directory may have at most {MaxSocketPathBytes - 21} bytes)");
        }

        for (var attempt = 0; ; attempt++)
        {
            var directory = Path.Combine(parent, $".mc-proxy-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
            var socketPath = Path.Combine(directory, "s");
            if (FileStatus.Of(directory).Kind != FileKind.Missing && attempt < 5)
            {
                continue;
            }

            // The umask can only remove bits from 0700; no one else can reach into this directory.
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return (directory, socketPath);
        }
    }

    /// <summary>
    /// Sets the socket bound at <paramref name="socketPath"/> to 0600, then renames it onto <paramref name="path"/>
    /// (atomic: a stale socket there is replaced in one step) and removes the private directory.
    /// </summary>
    public static void Publish(string addr, string socketPath, string directory, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("grpc.addr: a unix: admin socket needs a Unix system");
        }

        File.SetUnixFileMode(socketPath, OwnerOnly);
        // Checked again: a server may have started, or a file been put there, while this one was starting.
        Check(addr, path);
        File.Move(socketPath, path, overwrite: true);
        System.IO.Directory.Delete(directory);
    }

    /// <summary>Removes the private directory after a failed start; what was in it was ours.</summary>
    public static void Discard(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
