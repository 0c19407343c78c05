using System.Net.Sockets;
using McProxy.Routing;

namespace McProxy.Http.Hosting;

/// <summary>
/// The client socket as Kestrel reads it: first the ClientHello bytes the listener sniffed, then the socket. Every
/// byte read is counted on the connection (access log) and its route (metrics). Read-only: the
/// output goes through the <see cref="ClientSender"/>.
/// </summary>
internal sealed class HandOffStream(IConnectionView owner, Socket socket, byte[] replay) : Stream
{
    private readonly NetworkStream _socket = new(socket, ownsSocket: false);

    /// <summary>The ClientHello still to replay; let go once replayed, as a connection may then idle for long.</summary>
    private byte[]? _replay = replay.Length > 0 ? replay : null;
    private int _replayed;

    /// <summary>Raised once, when the client's side has ended (end of stream or an error).</summary>
    public event Action? InputEnded;

    public override bool CanRead => true;

    public override bool CanWrite => false;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_replay is { } hello)
        {
            // A zero-byte read asks "is there data?": there is, without touching the socket.
            var count = Math.Min(buffer.Length, hello.Length - _replayed);
            hello.AsSpan(_replayed, count).CopyTo(buffer.Span);
            _replayed += count;
            if (_replayed == hello.Length)
            {
                _replay = null;
            }

            return count;
        }

        int read;
        try
        {
            read = await _socket.ReadAsync(buffer, cancellationToken);
        }
        catch
        {
            EndInput();
            throw;
        }

        if (read > 0)
        {
            owner.CountFromClient(read);
        }
        else if (buffer.Length > 0)
        {
            EndInput();
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _socket.Dispose();
        }

        base.Dispose(disposing);
    }

    private void EndInput() => Interlocked.Exchange(ref InputEnded, null)?.Invoke();
}
