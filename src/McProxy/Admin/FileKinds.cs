using System.Runtime.InteropServices;
using System.Text;

namespace McProxy.Admin;

/// <summary>
/// The kind of file at a path, as lstat reports it. .NET exposes only "directory" and "link": a socket, a FIFO
/// and a regular file all look like files, and telling them apart is the point (only a stale socket may be
/// replaced). On Linux this asks statx(2), whose result layout is the same on every architecture, unlike stat's.
/// </summary>
internal static class FileKinds
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;
    private const int ENoEnt = 2;
    private const int ENotDir = 20;

    public static FileKind Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere only what .NET can tell: anything that is not a directory or link counts as "unknown",
            // which callers treat as "not ours to replace".
            var info = new FileInfo(path);
            return info.LinkTarget is not null ? FileKind.SymbolicLink
                : Directory.Exists(path) ? FileKind.Directory
                : info.Exists ? FileKind.Unknown
                : FileKind.Missing;
        }

        var buffer = new byte[StatxSize];
        if (Statx(AtFdCwd, NullTerminated(path), AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENoEnt or ENotDir)
            {
                return FileKind.Missing;
            }

            throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        var mode = BitConverter.ToUInt16(buffer, StatxModeOffset);
        return (mode & 0xF000) switch
        {
            0x8000 => FileKind.RegularFile,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0xC000 => FileKind.Socket,
            0x1000 => FileKind.Fifo,
            0x2000 or 0x6000 => FileKind.Device,
            _ => FileKind.Unknown,
        };
    }

    /// <summary>How an error message names a kind: "a regular file", "a directory".</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.RegularFile => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Socket => "a socket",
        FileKind.Fifo => "a FIFO",
        FileKind.Device => "a device",
        FileKind.Missing => "nothing",
        _ => "a file that is not a socket",
    };

    private static byte[] NullTerminated(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    // DllImport rather than LibraryImport: the generated marshalling would need unsafe code in this project.
    // A byte[] is blittable, so the runtime pins both arrays and passes them straight through.
    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirFd, byte[] path, int flags, uint mask, byte[] result);
}
