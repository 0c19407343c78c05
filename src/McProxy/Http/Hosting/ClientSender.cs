using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using McProxy.Routing;

namespace McProxy.Http.Hosting;

/// <summary>
/// The output side of an L7 connection, as Kestrel's socket transport has it: Kestrel's writes (TLS records) go
/// into a pipe, and a send loop that the pipe schedules on the thread pool sends whatever has gathered by the time
/// it runs, in one system call. Under HTTP/2 the responses of several streams that finish together leave in one
/// TCP segment instead of one each (2.3 segments per request instead of 3.2 in the h2load benchmark, as many as
/// HAProxy sends); under HTTP/1.1 the sends of many connections run as one batch on a pool thread. Every byte sent
/// is counted on the connection (access log) and its route (metrics).
/// <para>
/// The pipe holds at most <see cref="PauseWriterThreshold"/> unsent bytes: past that, Kestrel's flushes wait, and
/// so do YARP's response copy and its read from the backend. A send that fails (the client reset or left) shuts
/// the socket down and reports the client gone, which Kestrel turns into an aborted request and YARP into a
/// cancelled backend request. Meanwhile Kestrel's writes wait on the pipe; it is then completed without an error,
/// so that Kestrel's later flushes see "completed" (as with its own socket transport) rather than an exception it
/// would log.
/// </para>
/// </summary>
internal sealed class ClientSender
{
    /// <summary>
    /// Past this much unsent output, Kestrel's flushes wait. A quarter of Kestrel's own transport limit (64 KiB): a
    /// client that stops reading holds this plus one TLS record here. Kestrel's HTTPS layer writes records of at most
    /// 4 KiB (its pool's block), so this is four records, enough to keep a send going while the next is encrypted;
    /// what keeps a fast client's link busy is the kernel's send buffer behind it. 32 KiB cost a slow reader 24 KB
    /// more (l7_slowread) for the same download speed and CPU.
    /// </summary>
    private const long PauseWriterThreshold = 16 * 1024;

    /// <summary>
    /// How long a closing connection waits for the client to take its last bytes: a client that takes nothing for
    /// this long is cut off. Long enough for a GOAWAY or a response's tail to leave, short enough that a client
    /// that stopped reading does not hold a connection slot.
    /// </summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(2);

    /// <summary>After a failed send, how long the pipe is held (Kestrel's writes waiting) before it is let go.</summary>
    private static readonly TimeSpan ReleaseBound = TimeSpan.FromSeconds(1);

    private readonly IConnectionView _owner;
    private readonly Socket _socket;
    private readonly Action _clientGone;
    private readonly Pipe _pipe = new(new PipeOptions(
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: PauseWriterThreshold,
        resumeWriterThreshold: PauseWriterThreshold / 2,
        useSynchronizationContext: false));

    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<ArraySegment<byte>>? _segments;
    private long _lastProgress;
    private int _failed;
    private Task? _stopping;

    public ClientSender(IConnectionView owner, Socket socket, Action clientGone)
    {
        _owner = owner;
        _socket = socket;
        _clientGone = clientGone;
        Sending = SendLoopAsync();
    }

    /// <summary>What Kestrel writes to.</summary>
    public PipeWriter Writer => _pipe.Writer;

    /// <summary>Completes once the writer is complete and everything written has been sent, or sending stopped or failed.</summary>
    public Task Sending { get; }

    /// <summary>A send failed: the client reset or left (or the socket was shut down under the loop).</summary>
    public bool Failed => Volatile.Read(ref _failed) != 0;

    /// <summary>
    /// Sends what has been written so far (a GOAWAY, the end of a response), then shuts the socket down. At once
    /// after a failed send; a client that takes nothing for <see cref="StopBound"/> is cut off (the pending send fails).
    /// With <paramref name="abort"/>, bytes written after this call are not waited for; without, everything up to the
    /// writer's completion is sent. Idempotent: the first call decides.
    /// </summary>
    public Task StopAsync(bool abort)
    {
        if (!abort)
        {
            // Kestrel is done with the connection: nothing of its will wait on the pipe any more.
            _released.TrySetResult();
        }

        if (Volatile.Read(ref _stopping) is { } stopping)
        {
            return stopping;
        }

        if (abort)
        {
            // The loop sends what its next read returns, then ends.
            _pipe.Reader.CancelPendingRead();
        }

        var task = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _stopping, task.Task, null) is { } existing)
        {
            return existing;
        }

        _ = CompleteStopAsync(task);
        return task.Task;
    }

    private async Task CompleteStopAsync(TaskCompletionSource done)
    {
        try
        {
            Volatile.Write(ref _lastProgress, Environment.TickCount64);
            while (!Sending.IsCompleted && !Failed)
            {
                // The bound runs from the last send that completed, so a slow client that still reads gets its tail.
                var left = StopBound.TotalMilliseconds - (Environment.TickCount64 - Volatile.Read(ref _lastProgress));
                if (left <= 0)
                {
                    Shutdown(SocketShutdown.Both);
                    break;
                }

                await Task.WhenAny(Sending, Task.Delay(TimeSpan.FromMilliseconds(left)));
            }

            await Sending;
            // The FIN after the last bytes; after a failure or a forced stop, both ways (a pending read wakes).
            Shutdown(Failed ? SocketShutdown.Both : SocketShutdown.Send);
        }
        finally
        {
            // Whatever happened, the connection's disposal must not wait on this forever.
            done.TrySetResult();
        }
    }

    private void Shutdown(SocketShutdown how)
    {
        try
        {
            _socket.Shutdown(how);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _pipe.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    var length = (int)buffer.Length;
                    if (buffer.IsSingleSegment)
                    {
                        await SendAsync(buffer.First);
                    }
                    else
                    {
                        await _socket.SendAsync(Segments(buffer), SocketFlags.None);
                    }

                    _owner.CountFromBackend(length);
                    Volatile.Write(ref _lastProgress, Environment.TickCount64);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception)
        {
            // The client reset or left, or the socket was shut down (a stop past its bound): as Kestrel's socket
            // transport does, shut the socket down so that a pending read ends too, and say the client is gone.
            Volatile.Write(ref _failed, 1);
            Shutdown(SocketShutdown.Both);
            _clientGone();
            // Until the aborted request has been noticed, Kestrel's writes wait on the pipe (at most its threshold
            // fills) instead of vanishing into a completed one: otherwise YARP's copy, its writes returning at once,
            // reads the backend at full speed meanwhile. The pipe is let go when the connection is disposed, or
            // after ReleaseBound at the latest, should a flush without a cancellation token be waiting on it.
            await Task.WhenAny(_released.Task, Task.Delay(ReleaseBound));
        }

        // Without an error: Kestrel's next flush sees the output completed instead of an exception, which it would
        // log as an error per flush.
        await reader.CompleteAsync();
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> memory)
    {
        while (!memory.IsEmpty)
        {
            var sent = await _socket.SendAsync(memory, SocketFlags.None);
            memory = memory[sent..];
        }
    }

    /// <summary>The buffer's segments for one gathering send (the pipe's memory is pooled arrays).</summary>
    private List<ArraySegment<byte>> Segments(in ReadOnlySequence<byte> buffer)
    {
        var segments = _segments ??= [];
        segments.Clear();
        foreach (var memory in buffer)
        {
            if (!MemoryMarshal.TryGetArray(memory, out var segment))
            {
                throw new InvalidOperationException("the output pipe's memory is not array-backed");
            }

            segments.Add(segment);
        }

        return segments;
    }
}
