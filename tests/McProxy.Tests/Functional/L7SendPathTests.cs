using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using McProxy.Routing;
using McProxy.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Xunit.Abstractions;

namespace McProxy.Tests.Functional;

/// <summary>
/// The L7 send path under clients that leave, stop reading or make Kestrel close: an abandoned download cancels
/// the backend's request instead of draining it, a client that reads nothing holds a bounded amount of the
/// response, and what Kestrel writes just before it closes (a GOAWAY, the end of a <c>Connection: close</c>
/// response) reaches the client. Real TLS clients, a real proxy and a real Kestrel backend on loopback.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class L7SendPathTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Hostname = "send.example.test";
    private const long Huge = 200L * 1024 * 1024;
    private const int MiB = 1024 * 1024;

    /// <summary>What every streamed response repeats: one array for all, so that 200 streams do not add their own.</summary>
    private static readonly byte[] Chunk = HttpTestBackend.Pattern(64 * 1024);

    private readonly TestCertificates _certs = new();
    private readonly ConcurrentQueue<BackendStream> _streams = new();
    private string _directory = null!;
    private (string Cert, string Key) _pem;
    private WebApplication _backendApp = null!;
    private string _backendAddress = null!;

    public async Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _pem = PemFiles.Write(_certs.IssueServer(Hostname), _directory, "send");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            // Counts what Kestrel hands its socket transport: bytes that really left for the proxy (within the
            // transport's 64 KiB buffer), not writes that Kestrel drops once the connection is gone.
            listen.Use(next => connection =>
            {
                var counted = new CountingPipeWriter(connection.Transport.Output);
                connection.Items[typeof(CountingPipeWriter)] = counted;
                connection.Transport = new DuplexPipe(connection.Transport.Input, counted);
                return next(connection);
            });
        }));
        _backendApp = builder.Build();
        _backendApp.Map("/stream", StreamAsync);
        _backendApp.Map("/download", DownloadAsync);
        await _backendApp.StartAsync();
        _backendAddress = $"127.0.0.1:{new Uri(_backendApp.Urls.First()).Port}";
    }

    public async Task DisposeAsync()
    {
        await _backendApp.StopAsync();
        await _backendApp.DisposeAsync();
        _certs.Dispose();
    }

    /// <summary>
    /// Streams <c>bytes</c> bytes in 64 KiB writes, recording how many reached the connection's transport and when
    /// the request ended. Once its connection is gone Kestrel drops the writes until the request is aborted, so the
    /// handler may "complete": the transport's count, not the handler's, says what was sent.
    /// </summary>
    private async Task StreamAsync(HttpContext context)
    {
        var stream = new BackendStream((CountingPipeWriter)context.Features.Get<IConnectionItemsFeature>()!.Items[typeof(CountingPipeWriter)]!);
        _streams.Enqueue(stream);
        var remaining = long.Parse(context.Request.Query["bytes"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentLength = remaining;
        var chunk = Chunk;
        try
        {
            while (remaining > 0 && !context.RequestAborted.IsCancellationRequested)
            {
                var count = (int)Math.Min(chunk.Length, remaining);
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, count), context.RequestAborted);
                remaining -= count;
            }

            stream.Ended.TrySetResult(remaining == 0 ? "completed" : "cancelled");
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
            stream.Ended.TrySetResult("cancelled");
        }
    }

    private static async Task DownloadAsync(HttpContext context)
    {
        var size = int.Parse(context.Request.Query["bytes"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentLength = size;
        await context.Response.Body.WriteAsync(HttpTestBackend.Pattern(size), context.RequestAborted);
    }

    private Task<TestProxy> StartProxyAsync() => TestProxy.StartAsync($"""
        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "{Hostname}"
          backend = "{_backendAddress}"
          mode = "l7"
          tls_cert = "{_pem.Cert}"
          tls_key = "{_pem.Key}"
        """, _directory);

    [Fact]
    public async Task AbandonedDownload_Http11_BackendCancelled_MemoryBounded_LoggedClientAborted()
    {
        await using var proxy = await StartProxyAsync();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        await using (var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), Hostname, _certs))
        {
            await client.WriteAsync($"GET /stream?bytes={Huge} HTTP/1.1\r\nHost: {Hostname}\r\n\r\n");
            await ReadAtLeastAsync(client.Tls, MiB);
            // Closing with the rest unread: the client's TCP answers the next segments with a reset, as curl's does.
        }

        var stream = Assert.Single(_streams);
        await stream.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
        // Before: the backend sent all 200 MiB into a pipe nobody read. Now what it sent is what sat in buffers
        // when the proxy noticed, and its request ended: it was neither drained nor left back-pressured.
        Assert.True(stream.Sent < 48 * MiB, $"the backend wrote {stream.Sent} bytes of an abandoned response");
        var growth = GC.GetTotalMemory(forceFullCollection: true) - before;
        output.WriteLine($"HTTP/1.1 abandoned download: backend sent {stream.Sent} bytes, heap growth {growth} bytes");
        Assert.True(growth < 48 * MiB, $"the managed heap grew by {growth} bytes");

        var request = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Status") is not null);
        Assert.Equal("200", request.Get("Status"));
        Assert.Equal("client_aborted", request.Get("Outcome"));
        var connection = await proxy.Log.WaitForAsync(e => e.EventId == 1 && e.Get("Outcome") == ConnectionOutcome.ClientAborted);
        var delivered = long.Parse(connection.Get("BytesOut")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(delivered, MiB, stream.Sent + MiB);
        Assert.DoesNotContain(proxy.Log.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Theory]
    [InlineData(false, "client_reset")]
    [InlineData(true, "client_aborted")]
    public async Task AbandonedDownload_Http2_BackendCancelled_MemoryBounded(bool closeConnection, string outcome)
    {
        await using var proxy = await StartProxyAsync();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var handler = L7TestClient.CreateHandler(proxy.EndPoint(), _certs);
        var connect = handler.ConnectCallback!;
        Stream? transport = null;
        handler.ConnectCallback = async (context, cancellationToken) => transport = await connect(context, cancellationToken);
        using (var client = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            var response = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), $"/stream?bytes={Huge}"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpVersion.Version20, response.Version);
            await ReadAtLeastAsync(await response.Content.ReadAsStreamAsync(), MiB);
            if (closeConnection)
            {
                // The client's socket closes under the open stream, with the rest unread.
                await transport!.DisposeAsync();
            }
            else
            {
                // RST_STREAM(CANCEL): the stream ends, the connection stays.
                response.Dispose();
            }

            var stream = Assert.Single(_streams);
            await stream.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(stream.Sent < 48 * MiB, $"the backend sent {stream.Sent} bytes of an abandoned response");
            var growth = GC.GetTotalMemory(forceFullCollection: true) - before;
            output.WriteLine($"HTTP/2 abandoned download: backend sent {stream.Sent} bytes, heap growth {growth} bytes");
            Assert.True(growth < 48 * MiB, $"the managed heap grew by {growth} bytes");
            var request = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Status") is not null);
            Assert.Equal("200", request.Get("Status"));
            Assert.Equal(outcome, request.Get("Outcome"));
        }
    }

    [Fact]
    public async Task SlowReaders_200ClientsReadingNothing_BackendBackPressured_MemoryBounded()
    {
        const int Clients = 200;
        await using var proxy = await StartProxyAsync();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clients = new List<(Socket Socket, SslStream Tls)>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                // A small receive window, as slowhttptest's slow-read attack sets: the client's kernel takes little.
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(proxy.EndPoint());
                var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                clients.Add((socket, tls));
                try
                {
                    await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = Hostname,
                        RemoteCertificateValidationCallback = (_, certificate, _, _) => _certs.Validate(certificate, Hostname),
                    });
                }
                catch (IOException e)
                {
                    throw new IOException($"client {i}: {e.Message}; log:\n" + string.Join("\n", proxy.Log.Entries.TakeLast(20).Select(l => $"{l.Level} {l.Category} {l.Message}")), e);
                }
                await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /stream?bytes={Huge} HTTP/1.1\r\nHost: {Hostname}\r\n\r\n"));
            }

            // Every request reached the backend, and the backend's writes have stopped: each is held by back-pressure.
            await WaitUntilAsync(() => _streams.Count == Clients, "every request to reach the backend");
            await WaitUntilStableAsync(() => _streams.Sum(s => s.Sent));

            var largest = _streams.Max(s => s.Sent);
            var growth = GC.GetTotalMemory(forceFullCollection: true) - before;
            output.WriteLine($"{Clients} slow readers: largest backend send {largest} bytes, heap growth {growth} bytes ({growth / Clients} per client)");
            // What a backend gets ahead is mostly the kernel's socket buffers on loopback (autotuned to several MiB
            // each way); without back-pressure it would be the whole 200 MiB.
            Assert.True(largest < 32 * MiB, $"one backend response got {largest} bytes ahead of a client reading nothing");
            // Measured alone: 164 KB per slow reader, backend and test clients included (of the proxy's part, its
            // send pipe holds 16 KiB and a TLS record; its response copy holds nothing while the flush waits). With
            // the chunk held during the flush and a 32 KiB send pipe it was 202 KB; with YARP's copy (a 64 KiB buffer
            // held while the write waits) and a 64 KiB send pipe 360 KB, 64 KB of which the test's own per-stream
            // array then.
            Assert.True(growth < 48 * MiB, $"the managed heap grew by {growth} bytes for {Clients} slow readers ({growth / Clients} each)");
            Assert.All(_streams, s => Assert.False(s.Ended.Task.IsCompleted));
            foreach (var stream in _streams)
            {
                stream.Held = stream.Sent;
            }
        }
        finally
        {
            foreach (var (_, tls) in clients)
            {
                await tls.DisposeAsync();
            }
        }

        // The clients left: every backend request ends, and none sent its response to the end.
        foreach (var stream in _streams)
        {
            await stream.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(stream.Sent - stream.Held < 16 * MiB, $"a backend response sent {stream.Sent - stream.Held} more bytes after its client left");
        }
    }

    [Fact]
    public async Task WindowUpdatePastMaximum_GoAwayFlowControlError_ReachesClientEveryTime()
    {
        const int Runs = 50;
        await using var proxy = await StartProxyAsync();
        for (var run = 0; run < Runs; run++)
        {
            await using var tls = await ConnectH2Async(proxy.EndPoint());
            var frames = new MemoryStream();
            frames.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
            WriteFrame(frames, type: 0x4, flags: 0, streamId: 0, []);
            // The connection's send window starts at 65,535: adding 2^31-1 overflows it (RFC 9113 §6.9.1).
            var increment = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(increment, 0x7FFFFFFF);
            WriteFrame(frames, type: 0x8, flags: 0, streamId: 0, increment);
            await tls.WriteAsync(frames.ToArray());

            var errorCode = await ReadGoAwayAsync(tls);
            Assert.True(errorCode == 0x3, $"run {run}: GOAWAY error code {errorCode}, expected FLOW_CONTROL_ERROR (3)");
        }

        using var client = L7TestClient.Create(proxy.EndPoint(), _certs, HttpVersion.Version20);
        using var response = await client.GetAsync(L7TestClient.Url(Hostname, proxy.EndPoint(), "/download?bytes=10"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ConnectionClose_LastBytesOfTheResponse_AlwaysReachTheClient()
    {
        const int Runs = 20;
        const int Size = 2 * MiB;
        await using var proxy = await StartProxyAsync();
        for (var run = 0; run < Runs; run++)
        {
            await using var client = await TlsTestClient.ConnectAsync(proxy.EndPoint(), Hostname, _certs);
            await client.WriteAsync($"GET /download?bytes={Size} HTTP/1.1\r\nHost: {Hostname}\r\nConnection: close\r\n\r\n");
            // More bytes the server never reads: closing over unread input would reset the connection, and a reset
            // discards the response's tail still in flight.
            await client.WriteAsync(new string('x', 16 * 1024));

            var received = await ReadToEndAsync(client.Tls);
            var headerEnd = received.AsSpan().IndexOf("\r\n\r\n"u8);
            Assert.True(headerEnd > 0, $"run {run}: no response head in {received.Length} bytes");
            Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(received, 0, 12), StringComparison.Ordinal);
            Assert.Equal(Size, received.Length - headerEnd - 4);
        }
    }

    private async Task<SslStream> ConnectH2Async(IPEndPoint proxy)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(proxy);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = Hostname,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => _certs.Validate(certificate, Hostname),
        });
        Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
        return tls;
    }

    private static void WriteFrame(Stream output, byte type, byte flags, int streamId, byte[] payload)
    {
        var header = new byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), streamId);
        output.Write(header);
        output.Write(payload);
    }

    /// <summary>Reads frames until a GOAWAY and returns its error code; fails if the connection ends first.</summary>
    private static async Task<uint> ReadGoAwayAsync(Stream tls)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new byte[9];
        while (true)
        {
            if (!await ReadExactlyOrEndAsync(tls, header, deadline.Token))
            {
                throw new Xunit.Sdk.XunitException("the connection closed without a GOAWAY");
            }

            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var payload = new byte[length];
            if (!await ReadExactlyOrEndAsync(tls, payload, deadline.Token))
            {
                throw new Xunit.Sdk.XunitException($"the connection closed inside a frame of type {header[3]}");
            }

            if (header[3] == 0x7)
            {
                return BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4));
            }
        }
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return false;
        }
    }

    private static async Task ReadAtLeastAsync(Stream stream, int count)
    {
        var buffer = new byte[64 * 1024];
        var total = 0;
        while (total < count)
        {
            var read = await stream.ReadAsync(buffer);
            Assert.True(read > 0, $"the response ended after {total} bytes");
            total += read;
        }
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return received.ToArray();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (!condition())
        {
            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"waited in vain for {what}");
            }
        }
    }

    /// <summary>Waits until <paramref name="measure"/> has not changed for ten samples in a row (a second).</summary>
    private static async Task WaitUntilStableAsync(Func<long> measure)
    {
        var last = measure();
        var unchanged = 0;
        await WaitUntilAsync(() =>
        {
            var now = measure();
            unchanged = now == last ? unchanged + 1 : 0;
            last = now;
            return unchanged >= 10;
        }, "the backend's writes to stop");
    }

    private sealed class BackendStream(CountingPipeWriter transport)
    {
        /// <summary>Bytes of this connection's response handed to the backend's socket transport.</summary>
        public long Sent => transport.Written;

        /// <summary><see cref="Sent"/> while back-pressured, before the client left.</summary>
        public long Held { get; set; }

        /// <summary>"completed" or "cancelled", once the handler returned.</summary>
        public TaskCompletionSource<string> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>A pass-through <see cref="PipeWriter"/> that counts the bytes advanced.</summary>
    private sealed class CountingPipeWriter(PipeWriter inner) : PipeWriter
    {
        private long _written;

        public long Written => Interlocked.Read(ref _written);

        public override void Advance(int bytes)
        {
            Interlocked.Add(ref _written, bytes);
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
    }
}
