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
/// When no response is there, the read fails as it would have, and the client gets 502 as before.
/// </summary>
internal sealed class BackendStream(Socket socket) : Stream
{
    private readonly NetworkStream _inner = new(socket, ownsSocket: true);
    private volatile bool _writeClosed;

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

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _inner.Read(buffer);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_writeClosed)
        {
            return;
        }

        try
        {
            await _inner.WriteAsync(buffer, cancellationToken);
        }
        catch (IOException e) when (IsClosedByPeer(e))
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
        catch (IOException e) when (IsClosedByPeer(e))
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

    /// <summary>The peer closed (EPIPE) or reset (ECONNRESET) the connection: what it sent before is still readable.</summary>
    private static bool IsClosedByPeer(IOException e)
        => e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted };
}
