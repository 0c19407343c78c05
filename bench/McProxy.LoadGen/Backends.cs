using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace McProxy.LoadGen;

/// <summary>
/// The L4 backends behind every proxy. Each first reads and drops the ClientHello record the proxy replays, then:
/// answer writes a short reply and closes (a connection-rate test); echo returns every byte (latency, idle
/// connections); source writes without pause until the client goes away (bulk throughput).
/// </summary>
internal static class Backends
{
    private const int AnswerLength = 128;
    private static readonly byte[] Answer = [.. Enumerable.Repeat((byte)'a', AnswerLength)];
    private static readonly byte[] Payload = new byte[64 * 1024];

    public static async Task<int> RunAsync(Options options, CancellationToken stop)
    {
        Random.Shared.NextBytes(Payload);
        var listeners = new List<Socket>();
        var loops = new List<Task>();
        if (options.Optional("source") is { } sourcePort)
        {
            var socket = Listen(sourcePort);
            listeners.Add(socket);
            new Thread(() => SourceAcceptLoop(socket)) { IsBackground = true }.Start();
        }

        foreach (var (name, serve) in new (string, Func<Socket, Task>)[] { ("answer", AnswerAsync), ("echo", EchoAsync) })
        {
            if (options.Optional(name) is { } port)
            {
                var socket = Listen(port);
                listeners.Add(socket);
                loops.Add(AcceptLoopAsync(socket, serve));
            }
        }

        Console.Error.WriteLine($"mc-loadgen: backends listening ({listeners.Count})");
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
        }

        listeners.ForEach(l => l.Dispose());
        return 0;
    }

    private static Socket Listen(string port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)));
        socket.Listen(4096);
        return socket;
    }

    /// <summary>
    /// The bulk source uses blocking sockets on a thread per connection (there are at most a handful): each write
    /// of 64 KiB costs one syscall and no hand-off, so the backend is never what limits a proxy's throughput.
    /// </summary>
    private static void SourceAcceptLoop(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            new Thread(() => Source(client)) { IsBackground = true }.Start();
        }
    }

    private static void Source(Socket socket)
    {
        using (socket)
        {
            try
            {
                var header = new byte[5];
                ReceiveExactly(socket, header);
                ReceiveExactly(socket, new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3))]);
                while (true)
                {
                    socket.Send(Payload);
                }
            }
            catch (SocketException)
            {
            }
        }
    }

    private static void ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var read = socket.Receive(buffer);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            buffer = buffer[read..];
        }
    }

    private static async Task AcceptLoopAsync(Socket listener, Func<Socket, Task> serve)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            client.NoDelay = true;
            _ = ServeAsync(client, serve);
        }
    }

    private static async Task ServeAsync(Socket socket, Func<Socket, Task> serve)
    {
        await Task.Yield();
        try
        {
            await serve(socket);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static async Task AnswerAsync(Socket socket)
    {
        var buffer = new byte[4096];
        if (await SkipHelloAsync(socket, buffer) < 0)
        {
            return;
        }

        await socket.SendAsync(Answer, SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
        // Wait for the client's close, so the FIN exchange ends cleanly and nothing is reset.
        while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
        {
        }
    }

    private static async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[16 * 1024];
        var pending = await SkipHelloAsync(socket, buffer);
        if (pending < 0)
        {
            return;
        }

        while (true)
        {
            if (pending > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, pending), SocketFlags.None);
            }

            // Idle connections park on a zero-byte read: a backend holding thousands of them stays small.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
            pending = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (pending == 0)
            {
                socket.Shutdown(SocketShutdown.Send);
                return;
            }
        }
    }

    /// <summary>
    /// Reads one TLS record (the replayed ClientHello); returns how many bytes after it were read into the start
    /// of <paramref name="buffer"/>, or -1 when the peer closed first.
    /// </summary>
    private static async Task<int> SkipHelloAsync(Socket socket, byte[] buffer)
    {
        var length = 0;
        var recordEnd = -1;
        while (recordEnd < 0 || length < recordEnd)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None);
            if (read == 0)
            {
                return -1;
            }

            length += read;
            if (recordEnd < 0 && length >= 5)
            {
                recordEnd = 5 + BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(3));
                if (recordEnd > buffer.Length)
                {
                    return -1;
                }
            }
        }

        var extra = length - recordEnd;
        buffer.AsSpan(recordEnd, extra).CopyTo(buffer);
        return extra;
    }
}
