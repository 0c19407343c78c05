using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// A plain TCP backend for pool tests: to each connection it sends its name and a newline at once, then echoes
/// every byte it gets until the client closes. It counts the connections it accepted, and can be stopped (its
/// port closed, its connections reset) and started again on the same port, as a backend that dies and comes back.
/// </summary>
public sealed class NamedTcpBackend : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Socket, bool> _open = new();
    private readonly byte[] _greeting;
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;
    private int _accepted;

    public NamedTcpBackend(string name)
    {
        Name = name;
        _greeting = Encoding.ASCII.GetBytes(name + "\n");
        Start();
    }

    public string Name { get; }

    public int Port { get; private set; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Connections accepted since it was created (over every start).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Listens (again) on its port; the first start takes an ephemeral one.</summary>
    public void Start()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, Port));
        listener.Listen(512);
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _listener = listener;
        _accepting = AcceptLoopAsync(listener);
    }

    /// <summary>Closes the port (a connect is refused from now on) and resets every open connection.</summary>
    public async Task StopAsync()
    {
        _listener?.Dispose();
        _listener = null;
        await _accepting;
        foreach (var socket in _open.Keys)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (ObjectDisposedException)
            {
                // Its client closed it meanwhile, and ServeAsync disposed it: nothing left to reset.
            }

            socket.Dispose();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _open[socket] = true;
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            await socket.SendAsync(_greeting, SocketFlags.None);
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }

            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
        }
    }
}
