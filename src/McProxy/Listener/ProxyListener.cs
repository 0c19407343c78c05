using System.Net;
using System.Net.Sockets;
using McProxy.Routing;

namespace McProxy.Listener;

/// <summary>
/// A listening socket and its accept loop. Each accepted socket starts its <see cref="ProxyConnection"/> on the
/// accepting thread, which runs it only until its first read waits (admission checks, then the ClientHello read):
/// a slow handshake never delays the next accept, and no thread-pool wake-up is paid per connection. Accept errors are sorted:
/// the listener closing ends the loop; a client that gave up is ignored; running out of descriptors or memory
/// backs off and retries, so a burst never kills the listener.
/// </summary>
internal sealed partial class ProxyListener : IDisposable
{
    private const int LinuxSolSocket = 1;
    private const int LinuxSoReuseAddr = 2;
    private const int BsdSolSocket = 0xffff;
    private const int BsdSoReuseAddr = 4;

    private readonly ListenerState _state;
    private readonly ProxyServices _services;
    private readonly ILogger _logger;
    private readonly Socket _socket;

    private ProxyListener(ListenerState state, ProxyServices services, ILogger logger, Socket socket)
    {
        _state = state;
        _services = services;
        _logger = logger;
        _socket = socket;
    }

    public ListenerState State => _state;

    /// <summary>Binds and listens; throws <see cref="SocketException"/> when the address cannot be bound.</summary>
    public static ProxyListener Bind(ListenerState state, ProxyServices services, ILogger logger)
    {
        var endPoint = state.BindEndPoint;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            AllowRebindAfterRestart(socket);
            socket.Bind(endPoint);
            socket.Listen(4096);
            state.LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
            return new ProxyListener(state, services, logger, socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Rebinding right after a restart must not wait for TIME_WAIT connections of the old process: SO_REUSEADDR.
    /// Set raw, because .NET's <see cref="SocketOptionName.ReuseAddress"/> sets SO_REUSEPORT too on Linux and
    /// macOS, which lets a second process bind the same address and silently take half of its connections. With
    /// SO_REUSEADDR alone, an address any socket is listening on fails with EADDRINUSE.
    /// </summary>
    private static void AllowRebindAfterRestart(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(LinuxSolSocket, LinuxSoReuseAddr, BitConverter.GetBytes(1));
        }
        else if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            socket.SetRawSocketOption(BsdSolSocket, BsdSoReuseAddr, BitConverter.GetBytes(1));
        }

        // Windows: its SO_REUSEADDR would allow stealing the port; the default already rebinds past TIME_WAIT.
    }

    public async Task AcceptLoopAsync()
    {
        Log.Listening(_logger, _state.Addr, _state.LocalEndPoint!.ToString());
        var backoff = TimeSpan.Zero;
        while (true)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync();
                backoff = TimeSpan.Zero;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or OutOfMemoryException)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
                Log.AcceptBackoff(_logger, _state.Addr, backoff.TotalMilliseconds, e);
                await Task.Delay(backoff);
                continue;
            }

            client.NoDelay = true;
            _ = new ProxyConnection(_services, _state, client).RunAsync();
        }
    }

    /// <summary>Stops accepting; established connections are not touched.</summary>
    public void Dispose() => _socket.Dispose();

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Information, "Listener {Listener} accepting on {EndPoint}", EventName = "Listening")]
        public static partial void Listening(ILogger logger, string listener, string endPoint);

        [LoggerMessage(11, LogLevel.Warning, "Listener {Listener} accept failed; retrying in {BackoffMs} ms", EventName = "AcceptBackoff")]
        public static partial void AcceptBackoff(ILogger logger, string listener, double backoffMs, Exception exception);
    }
}
