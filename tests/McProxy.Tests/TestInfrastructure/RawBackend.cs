using System.Net;
using System.Net.Sockets;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>A plain TCP backend on 127.0.0.1:0 that records what one connection sent until end of stream.</summary>
public sealed class RawBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _serve;
    private readonly bool _halfCloseFirst;
    private readonly byte[] _reply;

    public RawBackend(bool halfCloseFirst = false, byte[]? reply = null)
    {
        _halfCloseFirst = halfCloseFirst;
        _reply = reply ?? [];
        _listener.Start();
        _serve = Task.Run(ServeAsync);
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Everything the connection sent, once it half-closed.</summary>
    public TaskCompletionSource<byte[]> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the proxy closed the backend connection (end of stream or reset).</summary>
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the connection ended with a reset rather than an orderly end of stream.</summary>
    public bool ResetSeen { get; private set; }

    private async Task ServeAsync()
    {
        try
        {
            using var socket = await _listener.AcceptSocketAsync();
            if (_reply.Length > 0)
            {
                await socket.SendAsync(_reply);
            }

            if (_halfCloseFirst)
            {
                socket.Shutdown(SocketShutdown.Send);
            }

            var all = new MemoryStream();
            var buffer = new byte[65536];
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer)) > 0)
                {
                    all.Write(buffer, 0, read);
                }
            }
            catch (SocketException)
            {
                ResetSeen = true;
            }

            Received.TrySetResult(all.ToArray());
            Closed.TrySetResult();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Received.TrySetException(e);
            Closed.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serve;
    }
}
