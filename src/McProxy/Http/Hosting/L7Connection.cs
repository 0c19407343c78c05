using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using McProxy.Listener;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace McProxy.Http.Hosting;

/// <summary>
/// An L7 connection as Kestrel sees it: a <see cref="ConnectionContext"/> over the client socket whose input first
/// replays the sniffed ClientHello (<see cref="HandOffStream"/>) and whose output a <see cref="ClientSender"/> sends. Its remote address is the real client (PROXY-aware), and it carries the
/// <see cref="IL7RouteFeature"/>. The socket stays owned by the <see cref="ProxyConnection"/>, which awaits
/// <see cref="Completed"/> (Kestrel disposing this context) and then writes its access-log line and closes it.
/// </summary>
internal sealed class L7Connection : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature,
    IConnectionEndPointFeature, IConnectionLifetimeFeature
{
    private readonly Socket _socket;
    private readonly HandOffStream _stream;
    private readonly ClientSender _sender;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IDictionary<object, object?>? _items;
    private int _closeSignalled;

    public L7Connection(ProxyConnection owner, Socket socket, byte[] replay, L7RouteFeature route, EndPoint? localEndPoint)
    {
        _socket = socket;
        Route = route;
        ConnectionId = $"l7-{owner.Id}";
        RemoteEndPoint = route.ClientEndPoint;
        LocalEndPoint = localEndPoint;
        _stream = new HandOffStream(owner, socket, replay);
        _stream.InputEnded += SignalClosed;
        _sender = new ClientSender(owner, socket);
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

    /// <summary>Kestrel gave up on the connection (timeout, protocol error, shutdown): close it now.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        try
        {
            // Wakes a pending read or write; the owner closes the socket once Kestrel has disposed this context.
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        SignalClosed();
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await Transport.Input.CompleteAsync();
            await Transport.Output.CompleteAsync();
            await _sender.Sending;
            // A FIN after the last response bytes (HTTP/1.1 "Connection: close", HTTP/2 GOAWAY).
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
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

    /// <summary>For a connection Kestrel never accepted (the L7 host had stopped).</summary>
    public void Reject() => _completed.TrySetResult();

    private void SignalClosed()
    {
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
