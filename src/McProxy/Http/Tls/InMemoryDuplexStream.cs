using System.IO.Pipelines;

namespace McProxy.Http.Tls;

/// <summary>
/// One end of a connection held in memory: it reads what the other end writes. Lets the proxy run a TLS handshake
/// with itself (<see cref="SharedTlsContexts"/>) without a socket.
/// </summary>
internal sealed class InMemoryDuplexStream : Stream
{
    private readonly Stream _input;
    private readonly Stream _output;

    private InMemoryDuplexStream(Pipe input, Pipe output)
    {
        _input = input.Reader.AsStream();
        _output = output.Writer.AsStream();
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Two connected ends.</summary>
    public static (InMemoryDuplexStream First, InMemoryDuplexStream Second) CreatePair()
    {
        var forward = new Pipe();
        var backward = new Pipe();
        return (new InMemoryDuplexStream(backward, forward), new InMemoryDuplexStream(forward, backward));
    }

    public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => _input.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => _input.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        => _output.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => _output.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => _output.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Completes both pipes' ends held here: the other end reads end-of-stream, its writes are dropped.
            _input.Dispose();
            _output.Dispose();
        }

        base.Dispose(disposing);
    }
}
