using System.Buffers;
using System.IO.Pipelines;

namespace McProxy.Http.Forwarding;

/// <summary>
/// An HTTP/1.1 client's request body as YARP reads it, whose reads can be given up without being cancelled. When a
/// backend answers early and stops taking the body, YARP cancels its pending read of the client's body; Kestrel's
/// body reader is then in a state it cannot drain from ("automatic draining of the request body failed because the
/// body reader is in an invalid state", logged at Error), so it closes the connection after the answer, and a client
/// still sending its body (without <c>Expect: 100-continue</c> it reads nothing before) sees its upload fail instead
/// of the answer. Here a cancelled read returns to YARP at once but the read of the pipe underneath goes on, with no
/// buffer of YARP's; <see cref="SettleAsync"/> waits for it, so that Kestrel can drain the rest (its own 5 s bound)
/// and the client gets the answer, as from HAProxy.
/// </summary>
internal sealed class ClientBodyStream(PipeReader reader) : Stream
{
    private readonly PipeReader _reader = reader;
    private Task<ReadResult>? _pending;

    public override bool CanRead => true;

    public override bool CanWrite => false;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Not cancelled by the caller's token: a cancelled read is given up, not cancelled underneath.
        _pending ??= _reader.ReadAsync(CancellationToken.None).AsTask();
        var result = await _pending.WaitAsync(cancellationToken);
        _pending = null;
        var available = result.Buffer;
        if (available.IsEmpty || buffer.Length == 0)
        {
            _reader.AdvanceTo(available.Start, available.End);
            return 0;
        }

        var count = (int)Math.Min(available.Length, buffer.Length);
        var taken = available.Slice(0, count);
        taken.CopyTo(buffer.Span);
        _reader.AdvanceTo(taken.End);
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Kestrel refuses synchronous body reads (AllowSynchronousIO is off), and YARP reads asynchronously.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>
    /// Waits (until <paramref name="cancellationToken"/>) for a read given up by the caller, and puts back what it
    /// read, so that Kestrel can drain the body. False if it is still pending: the connection cannot be drained.
    /// </summary>
    public async Task<bool> SettleAsync(CancellationToken cancellationToken)
    {
        var pending = _pending;
        if (pending is null)
        {
            return true;
        }

        try
        {
            var result = await pending.WaitAsync(cancellationToken);
            _pending = null;
            _reader.AdvanceTo(result.Buffer.Start);
            return true;
        }
        catch (OperationCanceledException)
        {
            // The connection is aborted; the read then fails, and its exception is observed here, not left unobserved.
            _ = pending.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return false;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or BadHttpRequestException)
        {
            // The client went away or sent a bad body: nothing is left to drain.
            _pending = null;
            return true;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
