using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using McProxy.Listener;

namespace McProxy.Http.Hosting;

/// <summary>
/// The output side of an L7 connection, as Kestrel's socket transport has it: Kestrel's writes (TLS records) go
/// into a pipe, and a send loop that the pipe schedules on the thread pool sends whatever has gathered by the time
/// it runs, in one system call. Under HTTP/2 the responses of several streams that finish together leave in one
/// TCP segment instead of one each (2.3 segments per request instead of 3.2 in the h2load benchmark, as many as
/// HAProxy sends); under HTTP/1.1 the sends of many connections run as one batch on a pool thread. Every byte sent
/// is counted on the <see cref="ProxyConnection"/> (access log) and its route (metrics).
/// </summary>
internal sealed class ClientSender
{
    /// <summary>Kestrel's own transport limit: past this much unsent output, Kestrel's flushes wait.</summary>
    private const long PauseWriterThreshold = 64 * 1024;

    private readonly ProxyConnection _owner;
    private readonly Socket _socket;
    private readonly Pipe _pipe = new(new PipeOptions(
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: PauseWriterThreshold,
        resumeWriterThreshold: PauseWriterThreshold / 2,
        useSynchronizationContext: false));

    private List<ArraySegment<byte>>? _segments;

    public ClientSender(ProxyConnection owner, Socket socket)
    {
        _owner = owner;
        _socket = socket;
        Sending = SendLoopAsync();
    }

    /// <summary>What Kestrel writes to.</summary>
    public PipeWriter Writer => _pipe.Writer;

    /// <summary>Completes once the writer is complete and everything written has been sent, or sending failed.</summary>
    public Task Sending { get; }

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
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            await reader.CompleteAsync();
        }
        catch (Exception e)
        {
            // The client went away or the socket was shut down (Abort): Kestrel's next flush sees the pipe complete.
            await reader.CompleteAsync(e);
        }
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
