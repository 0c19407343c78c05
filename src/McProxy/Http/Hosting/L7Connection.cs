using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using McProxy.Routing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace McProxy.Http.Hosting;

/// <summary>
/// An L7 connection as Kestrel sees it: a <see cref="ConnectionContext"/> over the client socket whose input first
/// replays the sniffed ClientHello (<see cref="HandOffStream"/>) and whose output a <see cref="ClientSender"/> sends. Its remote address is the real client (PROXY-aware), and it carries the
/// <see cref="IL7RouteFeature"/>. The socket stays owned by the listener's connection, which awaits
/// <see cref="Completed"/> (Kestrel disposing this context) and then writes its access-log line and closes it.
/// </summary>
internal sealed class L7Connection : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature,
    IConnectionEndPointFeature, IConnectionLifetimeFeature
{
    /// <summary>How long a closed connection keeps reading what the client still sends, waiting for its FIN.</summary>
    private static readonly TimeSpan LingerBound = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long Kestrel has to let go of a connection whose client is gone, or which the proxy closed itself, before
    /// its line is written without it: more than the closing sends (2 s) and the linger (1 s) take, less than the 5 s
    /// the shutdown then waits for lines.
    /// </summary>
    internal static readonly TimeSpan ReleaseBound = TimeSpan.FromSeconds(4);

    private readonly Socket _socket;
    private readonly HandOffStream _stream;
    private readonly ClientSender _sender;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IDictionary<object, object?>? _items;
    private int _closeSignalled;
    private int _aborted;
    private int _inputEnded;
    private int _serverClosing;
    private int _releaseBoundStarted;
    private int _releasedWithoutKestrel;

    public L7Connection(IConnectionView owner, Socket socket, byte[] replay, L7RouteFeature route, EndPoint? localEndPoint)
    {
        _socket = socket;
        Route = route;
        ConnectionId = $"l7-{owner.Id}";
        RemoteEndPoint = route.ClientEndPoint;
        LocalEndPoint = localEndPoint;
        _stream = new HandOffStream(owner, socket, replay);
        _stream.InputEnded += OnInputEnded;
        _sender = new ClientSender(owner, socket, OnClientGone);
        Transport = new DuplexPipe(
            PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true, useZeroByteReads: true)),
            _sender.Writer);
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IL7RouteFeature>(route);
    }

    public L7RouteFeature Route { get; }

    /// <summary>Completes when Kestrel is done with the connection (it disposed this context), or it was never accepted.</summary>
    public Task Completed => _completed.Task;

    /// <summary>Kestrel still held the connection <see cref="ReleaseBound"/> after its client left or the proxy closed it.</summary>
    public bool ReleasedWithoutKestrel => Volatile.Read(ref _releasedWithoutKestrel) != 0;

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _closed.Token;
        set => throw new NotSupportedException();
    }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>
    /// Kestrel gave up on the connection (timeout, protocol error, shutdown): reading stops at once, and what Kestrel
    /// wrote before (a GOAWAY naming the error, the end of a response) is still sent, within the sender's bound,
    /// before the FIN, as Kestrel's own transport lets its output finish.
    /// </summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        try
        {
            // Wakes a pending read (on Linux a receive shutdown sends nothing to the client); the owner closes the
            // socket once Kestrel has disposed this context.
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _ = _sender.StopAsync(abort: true);
        SignalClosed();
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await Transport.Input.CompleteAsync();
            await Transport.Output.CompleteAsync();
            // The last response bytes, then a FIN (HTTP/1.1 "Connection: close", HTTP/2 GOAWAY).
            await _sender.StopAsync(abort: false);
            await LingerAsync();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
        }
        finally
        {
            await _stream.DisposeAsync();
            _closed.Dispose();
            _completed.TrySetResult();
        }

        await base.DisposeAsync();
    }

    /// <summary>
    /// The proxy closes the socket itself (the drain's end at shutdown): the sends and reads that fail from here on
    /// are not the client leaving. Kestrel is then given <see cref="ReleaseBound"/> to let go of the connection;
    /// should it still hold it, <see cref="Completed"/> completes anyway, so that the connection's access line is
    /// written before the process exits (exactly one per connection) however Kestrel's processing ends.
    /// </summary>
    public void ServerClosing()
    {
        Volatile.Write(ref _serverClosing, 1);
        StartReleaseBound();
    }

    /// <summary>
    /// Once the client is gone or the proxy has closed the connection, Kestrel has <see cref="ReleaseBound"/> to let
    /// go of it; past that the hand-off completes without it: the access line is written and the slot freed.
    /// Kestrel's HTTP/2 connection can wait forever for streams it has aborted (its own note in
    /// <c>Http2Connection.ProcessRequestsAsync</c>, dotnet/aspnetcore#51304, which skips that wait only for its own
    /// protocol errors): seen here for about one in twenty connections whose client flooded HEADERS and RST_STREAM
    /// pairs and then reset TCP. Such a connection held its slot for good; now it costs only Kestrel's objects.
    /// </summary>
    private void StartReleaseBound()
    {
        if (Interlocked.Exchange(ref _releaseBoundStarted, 1) == 0)
        {
            _ = ReleaseWithinBoundAsync();
        }
    }

    private async Task ReleaseWithinBoundAsync()
    {
        try
        {
            // WaitAsync drops its timer as soon as Kestrel lets go, as it does for nearly every connection.
            await _completed.Task.WaitAsync(ReleaseBound);
        }
        catch (TimeoutException)
        {
            if (_completed.TrySetResult())
            {
                Volatile.Write(ref _releasedWithoutKestrel, 1);
            }
        }
    }

    /// <summary>For a connection Kestrel never accepted (the L7 host had stopped).</summary>
    public void Reject() => _completed.TrySetResult();

    /// <summary>
    /// After our FIN, reads and drops what the client still sends until its own FIN, for at most
    /// <see cref="LingerBound"/>. Closing a socket with unread input sends a reset, and a reset makes the client's
    /// TCP drop what it has not yet delivered: the end of a response, a GOAWAY. Not when the client has closed its
    /// side or left. After an abort the read side is already shut down: this only drops what had arrived.
    /// </summary>
    private async Task LingerAsync()
    {
        if (_sender.Failed || (Volatile.Read(ref _inputEnded) != 0 && Volatile.Read(ref _aborted) == 0))
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var bound = new CancellationTokenSource(LingerBound);
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The client's side ended (FIN, reset): Kestrel ends what is in flight.</summary>
    private void OnInputEnded()
    {
        Volatile.Write(ref _inputEnded, 1);
        OnClientGone();
    }

    /// <summary>The client left (its side ended, or a send to it failed), unless Kestrel had already aborted the connection.</summary>
    private void OnClientGone()
    {
        if (Volatile.Read(ref _aborted) == 0 && Volatile.Read(ref _serverClosing) == 0)
        {
            Route.ClientLeft();
        }

        SignalClosed();
    }

    /// <summary>Tells Kestrel the connection is closed (its ConnectionClosed token), which then has <see cref="ReleaseBound"/> to let go.</summary>
    private void SignalClosed()
    {
        StartReleaseBound();
        if (Interlocked.Exchange(ref _closeSignalled, 1) == 0)
        {
            // Off this thread: Kestrel's callbacks must not run inside a socket read or in Abort's caller.
            ThreadPool.UnsafeQueueUserWorkItem(static state =>
            {
                try
                {
                    state.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }, _closed, preferLocal: false);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
