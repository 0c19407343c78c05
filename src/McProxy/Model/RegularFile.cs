using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace McProxy.Model;

/// <summary>
/// Reads a file a key or an RPC names (certificates, keys, CAs, the GeoIP database) without ever blocking on it: only a
/// regular file is read, and only up to a size cap. A FIFO would block an ordinary open until a writer comes (and block
/// whatever lock the caller holds); a device or /proc file may never end. On Linux the type is checked with statx (<see cref="FileStatus"/>) before
/// the open, the open itself is non-blocking (O_NONBLOCK: a FIFO swapped in between opens at once instead of waiting),
/// and the type and size are checked again on the open descriptor. Symbolic links are followed, as certbot's live/
/// directory is made of them.
/// </summary>
internal static partial class RegularFile
{
    /// <summary>Certificates, keys and CA bundles: a long chain or a large CA bundle is tens of KiB; 1 MiB leaves room and bounds memory.</summary>
    public const long MaxPemBytes = 1 << 20;

    /// <summary>The GeoIP database is read whole into memory: a Country database is about 10 MiB, a City one about 70 MiB.</summary>
    public const long MaxGeoIpBytes = 256L << 20;

    private const int ORdOnly = 0;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;

    /// <summary>The file's bytes, or null with <paramref name="error"/> saying why (no file, not a regular file, too large, unreadable).</summary>
    public static byte[]? TryRead(string path, long maxBytes, out string? error)
    {
        error = null;
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            // The C string would end there and name another file than the one checked and stored.
            error = "is not a usable path: it holds a NUL character";
            return null;
        }

        try
        {
            return OperatingSystem.IsLinux() ? ReadLinux(path, maxBytes, out error) : ReadPortable(path, maxBytes, out error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot be read: {e.Message}";
            return null;
        }
    }

    private static byte[]? ReadLinux(string path, long maxBytes, out string? error)
    {
        var errno = FileStatus.TryOf(path, followLinks: true, out var status);
        if (errno != 0)
        {
            error = Describe(errno);
            return null;
        }

        if (CheckStatus(status, maxBytes, out error) is null)
        {
            return null;
        }

        var fd = Open(path, ORdOnly | ONonBlock | OCloExec);
        if (fd < 0)
        {
            error = Describe(Marshal.GetLastPInvokeError());
            return null;
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        errno = FileStatus.TryOf(handle, out status);
        if (errno != 0)
        {
            error = Describe(errno);
            return null;
        }

        return CheckStatus(status, maxBytes, out error) is { } size ? ReadAll(handle, size) : null;
    }

    /// <summary>Elsewhere (a developer's machine): no FIFO check, but still only a file, and still the cap.</summary>
    private static byte[]? ReadPortable(string path, long maxBytes, out string? error)
    {
        var info = new FileInfo(path);
        if (Directory.Exists(path))
        {
            error = $"is {FileStatus.Describe(FileKind.Directory)}, not a regular file";
            return null;
        }

        if (!info.Exists)
        {
            error = "does not exist";
            return null;
        }

        if (info.Length > maxBytes)
        {
            error = TooLarge(info.Length, maxBytes);
            return null;
        }

        error = null;
        using var handle = File.OpenHandle(path);
        return ReadAll(handle, info.Length);
    }

    /// <summary>The file's size when it is a regular file within the cap; otherwise null with the reason.</summary>
    private static long? CheckStatus(FileStatus status, long maxBytes, out string? error)
    {
        if (status.Kind != FileKind.RegularFile)
        {
            error = $"is {FileStatus.Describe(status.Kind)}, not a regular file";
            return null;
        }

        if (status.Size > maxBytes)
        {
            error = TooLarge(status.Size, maxBytes);
            return null;
        }

        error = null;
        return status.Size;
    }

    private static byte[] ReadAll(SafeFileHandle handle, long size)
    {
        // Read what the size said; a file that grew meanwhile is cut there (the caller's parser then says what is wrong).
        var bytes = new byte[size];
        var total = 0;
        while (total < bytes.Length)
        {
            var read = RandomAccess.Read(handle, bytes.AsSpan(total), total);
            if (read == 0)
            {
                return bytes[..total];
            }

            total += read;
        }

        return bytes;
    }

    private static string TooLarge(long size, long maxBytes) => $"is {size} bytes, more than the {maxBytes} read from such a file";

    private static string Describe(int errno) => errno switch
    {
        2 => "does not exist",
        13 => "cannot be read: permission denied",
        20 => "does not exist (a component of the path is not a directory)",
        _ => $"cannot be opened: {Marshal.GetPInvokeErrorMessage(errno)}",
    };

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);
}
