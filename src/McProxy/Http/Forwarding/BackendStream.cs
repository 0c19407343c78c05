using System.Net.Sockets;

namespace McProxy.Http.Forwarding;

/// <summary>
/// A backend connection as <see cref="SocketsHttpHandler"/> sees it, which keeps a backend's early answer. A backend
/// may refuse an upload from its headers (413, 401) and close while the body is still being sent; over HTTP/1.1
/// SocketsHttpHandler sends the whole body before it reads the response (unless the request carries
/// <c>Expect: 100-continue</c>), so the write fails first and the request fails with it: YARP then answers 502 and
/// the backend's answer, already in the socket's receive buffer, is never read (dotnet/yarp#2731). Here a write
/// that fails because the backend closed or reset the connection completes as if sent, and so do the writes after it:
/// the rest of the body goes nowhere, the handler reads the response, and it reaches the client with its status.
/// Only when the backend has sent something that is still unread: a backend that failed without answering fails the
/// write as before, at once, rather than after the client has sent the whole body.
/// </summary>
internal sealed class BackendStream(Socket socket) : Stream
{
    private readonly Socket _socket = socket;
    private readonly NetworkStream _inner = new(socket, ownsSocket: true);
    private volatile bool _writeClosed;

    // SocketsHttpHandler reads ahead on a pooled HTTP/1.1 connection (to see it close while idle), and that read stays
    // pending while the next request is written: an answer arriving meanwhile is taken into the handler's buffer,
    // not left in the socket. These record that it happened.
    private int _pendingReads;
    private volatile bool _writtenDuringRead;
    private volatile bool _answeredDuringWrite;

    /// <summary>True once the backend stopped accepting what is written (the rest of a request body is dropped).</summary>
    public bool WriteClosed => _writeClosed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _writtenDuringRead = false;
        _answeredDuringWrite = false;
        Interlocked.Increment(ref _pendingReads);
        int read;
        try
        {
            read = await _inner.ReadAsync(buffer, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _pendingReads);
        }

        if (read > 0 && _writtenDuringRead)
        {
            _answeredDuringWrite = true;
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_writeClosed)
        {
            return;
        }

        if (Volatile.Read(ref _pendingReads) > 0)
        {
            _writtenDuringRead = true;
        }

        try
        {
            await _inner.WriteAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (IsClosedByPeer(e) && HasUnreadAnswer())
        {
            _writeClosed = true;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_writeClosed)
        {
            return;
        }

        try
        {
            _inner.Write(buffer);
        }
        catch (IOException e) when (IsClosedByPeer(e) && HasUnreadAnswer())
        {
            _writeClosed = true;
        }
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>The backend sent something before it closed (its answer, most likely): read ahead, or waiting in the socket.</summary>
    private bool HasUnreadAnswer()
    {
        if (_answeredDuringWrite)
        {
            return true;
        }

        try
        {
            return _socket.Available > 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>The peer closed (EPIPE) or reset (ECONNRESET) the connection: what it sent before is still readable.</summary>
    private static bool IsClosedByPeer(IOException e)
        => e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted };
}
