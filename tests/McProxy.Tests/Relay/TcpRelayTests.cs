using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using McProxy.Routing;

namespace McProxy.Tests.Relay;

/// <summary>The L4 relay between real loopback connections, with splice(2) and with the copy loop.</summary>
public sealed class TcpRelayTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LargeTransfer_BothWaysAtOnce_ArrivesIntactAndCounted(bool splice)
    {
        await using var pair = await RelayPair.StartAsync(splice);
        var up = RandomNumberGenerator.GetBytes(8 << 20);
        var down = RandomNumberGenerator.GetBytes(8 << 20);

        var gotUp = ReadToEndAsync(pair.Backend);
        var gotDown = ReadToEndAsync(pair.Client);
        await Task.WhenAll(SendAndFinishAsync(pair.Client, up), SendAndFinishAsync(pair.Backend, down)).WaitAsync(Deadline);

        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await gotUp.WaitAsync(Deadline)));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(await gotDown.WaitAsync(Deadline)));
        await pair.Relay.WaitAsync(Deadline);
        Assert.Equal(up.Length, pair.FromClient);
        Assert.Equal(down.Length, pair.FromBackend);
        Assert.True(pair.Touches >= 2, $"{pair.Touches} touches");
        Assert.Null(pair.Outcome);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task HalfClose_OneWay_TheOtherWayKeepsFlowing(bool splice, bool clientFirst)
    {
        await using var pair = await RelayPair.StartAsync(splice);
        var (first, second) = clientFirst ? (pair.Client, pair.Backend) : (pair.Backend, pair.Client);

        await SendAndFinishAsync(first, Encoding.ASCII.GetBytes("last words"));
        Assert.Equal("last words", Encoding.ASCII.GetString(await ReadToEndAsync(second).WaitAsync(Deadline)));
        Assert.False(pair.Relay.IsCompleted);

        var answer = RandomNumberGenerator.GetBytes(1 << 20);
        var got = ReadToEndAsync(first);
        await SendAndFinishAsync(second, answer).WaitAsync(Deadline);
        Assert.Equal(SHA256.HashData(answer), SHA256.HashData(await got.WaitAsync(Deadline)));
        await pair.Relay.WaitAsync(Deadline);
        Assert.Null(pair.Outcome);
        Assert.Equal(clientFirst ? 10 : answer.Length, pair.FromClient);
        Assert.Equal(clientFirst ? answer.Length : 10, pair.FromBackend);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TrafficAfterAPause_IsCountedAndTouchesTheIdleDeadline(bool splice)
    {
        await using var pair = await RelayPair.StartAsync(splice);

        await pair.Client.SendAsync(new byte[100], SocketFlags.None);
        await ReadExactlyAsync(pair.Backend, 100);
        await RelayPair.WaitUntilAsync(() => pair.FromClient == 100);
        var touches = pair.Touches;
        Assert.True(touches >= 1);

        await pair.Backend.SendAsync(new byte[200], SocketFlags.None);
        await ReadExactlyAsync(pair.Client, 200);
        await RelayPair.WaitUntilAsync(() => pair.FromBackend == 200);
        Assert.True(pair.Touches > touches, $"{pair.Touches} touches, {touches} before");
        Assert.False(pair.Relay.IsCompleted);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BackendReset_EndsTheRelayAsReset(bool splice)
    {
        await using var pair = await RelayPair.StartAsync(splice);
        await pair.Backend.SendAsync(new byte[10], SocketFlags.None);
        await ReadExactlyAsync(pair.Client, 10);

        pair.Backend.LingerState = new LingerOption(true, 0);
        pair.Backend.Close();

        await pair.Relay.WaitAsync(Deadline);
        Assert.Equal(ConnectionOutcome.Reset, pair.Outcome);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Abort_MidTransfer_EndsBothDirections(bool splice)
    {
        await using var pair = await RelayPair.StartAsync(splice);
        using var stop = new CancellationTokenSource();
        var flood = FloodAsync(pair.Backend, stop.Token);
        await RelayPair.WaitUntilAsync(() => pair.FromBackend > 0);

        pair.Abort(ConnectionOutcome.Reset);

        await pair.Relay.WaitAsync(Deadline);
        await stop.CancelAsync();
        await flood.WaitAsync(Deadline);
        Assert.Equal(ConnectionOutcome.Reset, pair.Outcome);
    }

    internal static async Task SendAndFinishAsync(Socket socket, byte[] data)
    {
        var sent = 0;
        while (sent < data.Length)
        {
            sent += await socket.SendAsync(data.AsMemory(sent, Math.Min(48 * 1024, data.Length - sent)), SocketFlags.None);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    internal static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var all = new MemoryStream();
        var buffer = new byte[32 * 1024];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, read);
        }
    }

    /// <summary>Sends until the connection fails or <paramref name="stop"/> is cancelled: a transfer to abort mid-way.</summary>
    internal static async Task FloodAsync(Socket socket, CancellationToken stop)
    {
        var block = new byte[64 * 1024];
        try
        {
            while (true)
            {
                await socket.SendAsync(block, SocketFlags.None, stop);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var got = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).AsTask().WaitAsync(Deadline);
            Assert.True(got > 0, "end of stream before the bytes arrived");
            read += got;
        }
    }
}
