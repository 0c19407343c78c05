using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace McProxy.Model;

/// <summary>
/// A file's kind and size, as statx(2) reports them for a path (following a symbolic link or not) or an open
/// descriptor. .NET exposes only "directory" and "link": a socket, a FIFO, a device and a regular file all look like
/// files, and telling them apart is the point (only a regular file is read, only a stale socket replaced). statx's
/// result layout is the same on every Linux architecture, unlike stat's.
/// </summary>
internal readonly partial record struct FileStatus(FileKind Kind, long Size)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSizeMask = 0x200;
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;
    private const int StatxBufferSize = 256;
    private const int ENoEnt = 2;
    private const int ENotDir = 20;

    /// <summary>
    /// What <paramref name="path"/> names without following a link there (lstat): <see cref="FileKind.Missing"/> when
    /// nothing does; any other failure is an <see cref="IOException"/>.
    /// </summary>
    public static FileStatus Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere only what .NET can tell: anything that is not a directory or link counts as "unknown",
            // which callers treat as "not ours to replace".
            var info = new FileInfo(path);
            return new(
                info.LinkTarget is not null ? FileKind.SymbolicLink
                : Directory.Exists(path) ? FileKind.Directory
                : info.Exists ? FileKind.Unknown
                : FileKind.Missing,
                0);
        }

        var errno = TryOf(path, followLinks: false, out var status);
        return errno switch
        {
            0 => status,
            ENoEnt or ENotDir => new(FileKind.Missing, 0),
            _ => throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}"),
        };
    }

    /// <summary>Linux only: statx on a path; 0, or the errno it failed with.</summary>
    public static int TryOf(string path, bool followLinks, out FileStatus status) =>
        Query(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, out status);

    /// <summary>Linux only: statx on an open descriptor (AT_EMPTY_PATH); 0, or the errno it failed with.</summary>
    public static int TryOf(SafeFileHandle handle, out FileStatus status) =>
        Query((int)handle.DangerousGetHandle(), "", AtEmptyPath, out status);

    /// <summary>How a message names a kind: "a regular file", "a FIFO".</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.RegularFile => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Socket => "a socket",
        FileKind.Fifo => "a FIFO",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Missing => "nothing",
        _ => "a file of another kind",
    };

    private static int Query(int dirFd, string path, int flags, out FileStatus status)
    {
        var buffer = new byte[StatxBufferSize];
        if (Statx(dirFd, path, flags, StatxType | StatxSizeMask, ref buffer[0]) != 0)
        {
            status = default;
            return Marshal.GetLastPInvokeError();
        }

        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(StatxModeOffset));
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.RegularFile,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0xC000 => FileKind.Socket,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Unknown,
        };
        status = new(kind, (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(StatxSizeOffset)));
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, ref byte buffer);
}
