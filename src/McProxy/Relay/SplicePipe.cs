using System.Collections.Concurrent;

namespace McProxy.Relay;

/// <summary>
/// A kernel pipe that one relay direction moves bytes through with splice(2): socket to pipe, pipe to socket,
/// no copy into user space. Pipes are a bounded resource, lent like the copy loop's buffers: a direction takes one
/// when data arrives and gives it back, empty, when it goes idle, so an idle relayed connection holds none. A small
/// pool keeps returned pipes (creating one costs pipe2 and fcntl, closing it two closes: too much per connection);
/// beyond it they are closed. No more pipes are made once their descriptors would take a quarter of the process's
/// open-file limit: the relay copies instead, and the limit stays for sockets.
/// </summary>
internal sealed class SplicePipe : IDisposable
{
    /// <summary>What a pipe holds at most, as the copy loop's buffer: one splice moves up to this much.</summary>
    public const int RequestedSize = 64 * 1024;

    private const int MaxPooled = 64;

    private static readonly ConcurrentBag<SplicePipe> Pool = [];
    private static readonly int MaxOpenPipes = Math.Max(0, SpliceNative.OpenFileLimit() / 8);
    private static int _open;
    private static int _pooled;

    private int _closed;

    private SplicePipe(int readFd, int writeFd, int size)
    {
        ReadFd = readFd;
        WriteFd = writeFd;
        Size = size;
    }

    public int ReadFd { get; }

    public int WriteFd { get; }

    /// <summary>The pipe's capacity in bytes, as the kernel set it.</summary>
    public int Size { get; }

    /// <summary>Pipes open now, pooled or lent (for tests and the fd bound).</summary>
    public static int OpenCount => Volatile.Read(ref _open);

    /// <summary>An empty pipe, from the pool or new; null when none can be had (fd limit near, pipe2 failed).</summary>
    public static SplicePipe? Rent()
    {
        if (Pool.TryTake(out var pooled))
        {
            Interlocked.Decrement(ref _pooled);
            return pooled;
        }

        if (Interlocked.Increment(ref _open) > MaxOpenPipes)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        if (!SpliceNative.TryCreatePipe(out var readFd, out var writeFd))
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        var size = SpliceNative.SetPipeSize(writeFd, RequestedSize);
        return new SplicePipe(readFd, writeFd, size > 0 ? size : RequestedSize);
    }

    /// <summary>Gives back a pipe that holds no bytes; the pool keeps it, or it is closed.</summary>
    public static void Return(SplicePipe pipe)
    {
        if (Interlocked.Increment(ref _pooled) <= MaxPooled)
        {
            Pool.Add(pipe);
            return;
        }

        Interlocked.Decrement(ref _pooled);
        pipe.Dispose();
    }

    /// <summary>Closes every pooled pipe: a test's way to check that no pipe outlives its relays.</summary>
    public static void ClearPool()
    {
        while (Pool.TryTake(out var pipe))
        {
            Interlocked.Decrement(ref _pooled);
            pipe.Dispose();
        }
    }

    /// <summary>Closes both ends; a pipe that may still hold bytes is closed rather than returned.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            SpliceNative.Close(ReadFd);
            SpliceNative.Close(WriteFd);
            Interlocked.Decrement(ref _open);
        }
    }
}
