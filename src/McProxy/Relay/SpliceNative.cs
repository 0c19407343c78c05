using System.Runtime.InteropServices;

namespace McProxy.Relay;

/// <summary>The Linux system calls the splice relay needs (<see cref="SplicePipe"/>, <see cref="TcpRelay"/>).</summary>
internal static partial class SpliceNative
{
    public const uint SpliceMove = 1;
    public const uint SpliceNonBlock = 2;
    public const int EAgain = 11;
    public const int EInvalid = 22;
    public const int EInterrupted = 4;

    private const int OCloexec = 0x80000;
    private const int ONonBlock = 0x800;
    private const int FGetFl = 3;
    private const int FSetPipeSize = 1031;
    private const int FGetPipeSize = 1032;
    private const int RLimitNoFile = 7;

    /// <summary>A non-blocking, close-on-exec pipe; false (errno in Marshal.GetLastPInvokeError) when none can be made.</summary>
    public static bool TryCreatePipe(out int readFd, out int writeFd)
    {
        var fds = new int[2];
        if (Pipe2(fds, ONonBlock | OCloexec) != 0)
        {
            readFd = writeFd = -1;
            return false;
        }

        readFd = fds[0];
        writeFd = fds[1];
        return true;
    }

    /// <summary>Asks for a pipe of <paramref name="bytes"/>; returns the size the kernel gave (or kept).</summary>
    public static int SetPipeSize(int fd, int bytes)
    {
        var size = Fcntl(fd, FSetPipeSize, bytes);
        return size > 0 ? size : Fcntl(fd, FGetPipeSize, 0);
    }

    public static bool IsNonBlocking(int fd)
    {
        var flags = Fcntl(fd, FGetFl, 0);
        return flags >= 0 && (flags & ONonBlock) != 0;
    }

    /// <summary>The soft limit on open files, or <see cref="int.MaxValue"/> when it cannot be read or is unlimited.</summary>
    public static int OpenFileLimit()
    {
        var limits = new ulong[2];
        return GetRLimit(RLimitNoFile, limits) == 0 && limits[0] < int.MaxValue ? (int)limits[0] : int.MaxValue;
    }

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, ref byte buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2([Out] int[] fds, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, [Out] ulong[] limits);
}
