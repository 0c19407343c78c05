using System.Net;
using System.Net.Sockets;
using McProxy.Relay;
using McProxy.Routing;

namespace McProxy.Tests.Relay;

/// <summary>
/// A <see cref="TcpRelay"/> between two real loopback connections, as the proxy runs it: <see cref="Client"/> is the
/// client's end, <see cref="Backend"/> the backend's; the relay holds the proxy's two sockets in between. Its
/// connection view counts, touches and, on abort, closes both proxy sockets as the listener's connection does.
/// </summary>
internal sealed class RelayPair : IConnectionView, IAsyncDisposable
{
    private readonly Socket _proxyClient;
    private readonly Socket _proxyBackend;
    private long _fromClient;
    private long _fromBackend;
    private int _touches;
    private string? _outcome;

    private RelayPair(Socket client, Socket proxyClient, Socket proxyBackend, Socket backend)
    {
        Client = client;
        _proxyClient = proxyClient;
        _proxyBackend = proxyBackend;
        Backend = backend;
    }

    public Socket Client { get; }

    public Socket Backend { get; }

    public Task Relay { get; private set; } = Task.CompletedTask;

    public long Id => 1;

    public IPEndPoint ClientEndPoint => (IPEndPoint)Client.LocalEndPoint!;

    public long FromClient => Interlocked.Read(ref _fromClient);

    public long FromBackend => Interlocked.Read(ref _fromBackend);

    public int Touches => Volatile.Read(ref _touches);

    public string? Outcome => Volatile.Read(ref _outcome);

    public static async Task<RelayPair> StartAsync(bool splice)
    {
        using var front = new TcpListener(IPAddress.Loopback, 0);
        using var back = new TcpListener(IPAddress.Loopback, 0);
        front.Start();
        back.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = front.AcceptSocketAsync();
        await client.ConnectAsync(front.LocalEndpoint);
        var proxyClient = await accepting;
        var proxyBackend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var acceptingBackend = back.AcceptSocketAsync();
        await proxyBackend.ConnectAsync(back.LocalEndpoint);
        var backend = await acceptingBackend;
        var pair = new RelayPair(client, proxyClient, proxyBackend, backend);
        pair.Relay = pair.RunAsync(splice);
        return pair;
    }

    /// <summary>Relays, then closes the proxy's sockets as the listener's connection does (that close sends the last FIN).</summary>
    private async Task RunAsync(bool splice)
    {
        try
        {
            await TcpRelay.RunAsync(this, _proxyClient, _proxyBackend, splice);
        }
        finally
        {
            _proxyClient.Dispose();
            _proxyBackend.Dispose();
        }
    }

    public void CountFromClient(int bytes) => Interlocked.Add(ref _fromClient, bytes);

    public void CountFromBackend(int bytes) => Interlocked.Add(ref _fromBackend, bytes);

    public void Touch() => Interlocked.Increment(ref _touches);

    public void Abort(string outcome)
    {
        Interlocked.CompareExchange(ref _outcome, outcome, null);
        _proxyClient.Dispose();
        _proxyBackend.Dispose();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, for at most 30 s.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Backend.Dispose();
        _proxyClient.Dispose();
        _proxyBackend.Dispose();
        await Relay.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
