using McProxy.Relay;
using McProxy.Routing;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Relay;

/// <summary>The splice relay's pipes, counted in /proc/self/fd: relays that end, however they end, leave none open.</summary>
[Collection(DescriptorCountCollection.Name)]
public sealed class SplicePipeDescriptorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task FinishedAndAbortedRelays_LeaveNoPipeOpen()
    {
        SplicePipe.ClearPool();
        var before = PipeInodes();

        await using (var finished = await RelayPair.StartAsync(splice: true))
        {
            var data = new byte[4 << 20];
            var got = TcpRelayTests.ReadToEndAsync(finished.Backend);
            await TcpRelayTests.SendAndFinishAsync(finished.Client, data).WaitAsync(Deadline);
            Assert.Equal(data.Length, (await got.WaitAsync(Deadline)).Length);
            finished.Backend.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await finished.Relay.WaitAsync(Deadline);
        }

        // Pipes of relays that ended cleanly wait in the pool for the next relay; emptying it must close them all.
        SplicePipe.ClearPool();
        Assert.Empty(PipeInodes().Except(before));

        await using (var aborted = await RelayPair.StartAsync(splice: true))
        {
            using var stop = new CancellationTokenSource();
            var flood = TcpRelayTests.FloodAsync(aborted.Backend, stop.Token);

            // The client reads nothing, so the backend-to-client direction ends up waiting to send, pipe in hand.
            await RelayPair.WaitUntilAsync(() => aborted.FromBackend > 0 && PipeInodes().Except(before).Any());
            aborted.Abort(ConnectionOutcome.Reset);
            await aborted.Relay.WaitAsync(Deadline);
            await stop.CancelAsync();
            await flood.WaitAsync(Deadline);
        }

        SplicePipe.ClearPool();
        Assert.Empty(PipeInodes().Except(before));
        Assert.Equal(0, SplicePipe.OpenCount);
    }

    [Fact]
    public async Task CopyLoop_OpensNoPipe()
    {
        SplicePipe.ClearPool();
        var before = PipeInodes();
        await using var pair = await RelayPair.StartAsync(splice: false);
        var data = new byte[1 << 20];
        var got = TcpRelayTests.ReadToEndAsync(pair.Backend);
        await TcpRelayTests.SendAndFinishAsync(pair.Client, data).WaitAsync(Deadline);
        Assert.Equal(data.Length, (await got.WaitAsync(Deadline)).Length);

        Assert.Empty(PipeInodes().Except(before));
    }

    /// <summary>The pipes this process has open, by inode ("pipe:[123]"); both ends of a pipe share one.</summary>
    private static HashSet<string> PipeInodes()
    {
        var pipes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("pipe:", StringComparison.Ordinal))
                {
                    pipes.Add(target);
                }
            }
            catch (IOException)
            {
                // Closed between the listing and the read.
            }
        }

        return pipes;
    }
}
