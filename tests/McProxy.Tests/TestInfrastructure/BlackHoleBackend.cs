using System.Net;
using System.Net.Sockets;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// A backend whose SYNs are dropped, as a firewalled or dead host's are: a listening socket with a backlog of 0
/// whose one queue place is taken by a connection never accepted. Linux drops SYNs to a listener whose accept queue
/// is full, so a connect to it hangs until the connecting side gives up.
/// </summary>
public sealed class BlackHoleBackend : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _fillers = [];

    private BlackHoleBackend()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public string Address => EndPoint.ToString();

    /// <summary>Fills the accept queue, then checks that a plain connect really hangs before a test relies on it.</summary>
    public static async Task<BlackHoleBackend> StartAsync()
    {
        var backend = new BlackHoleBackend();
        try
        {
            for (var attempt = 0; attempt < 4; attempt++)
            {
                var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try
                {
                    await probe.ConnectAsync(backend.EndPoint, wait.Token);
                }
                catch (Exception e) when (e is OperationCanceledException || wait.IsCancellationRequested)
                {
                    // Not answered within a second on loopback: the SYN was dropped.
                    probe.Dispose();
                    return backend;
                }

                // Connected: the queue had room, and this connection, never accepted, now takes it. Probe again.
                backend._fillers.Add(probe);
            }
        }
        catch
        {
            backend.Dispose();
            throw;
        }

        backend.Dispose();
        throw new InvalidOperationException("a connect to a listener with a full accept queue did not hang: this kernel does not drop the SYNs");
    }

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
    }
}
