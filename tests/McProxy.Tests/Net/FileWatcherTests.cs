using McProxy.Net;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Net;

[UnitTest]
public sealed class FileWatcherTests : IDisposable
{
    private readonly TestLog _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public void CheckNow_ACheckThatThrows_IsLogged_AndTheOthersStillRun()
    {
        var files = new FileWatcher(FileWatcher.DefaultInterval, _log.CreateLogger("McProxy.Server"));
        var ran = 0;
        files.Add(() => throw new IOException("disk gone"));
        files.Add(() => ran++);

        files.CheckNow();
        files.CheckNow();

        Assert.Equal(2, ran);
        Assert.Equal(2, _log.Entries.Count(e => e.EventId == 124));
    }

    [Fact]
    public async Task RunAsync_TicksAtItsOwnInterval_UntilCancelled()
    {
        var files = new FileWatcher(TimeSpan.FromMilliseconds(20), _log.CreateLogger("McProxy.Server"));
        var ticks = 0;
        using var enough = new SemaphoreSlim(0);
        files.Add(() =>
        {
            if (Interlocked.Increment(ref ticks) == 3)
            {
                enough.Release();
            }
        });
        using var stop = new CancellationTokenSource();

        var running = files.RunAsync(stop.Token);
        Assert.True(await enough.WaitAsync(TimeSpan.FromSeconds(30)));
        await stop.CancelAsync();
        await running;

        Assert.True(Volatile.Read(ref ticks) >= 3);
    }
}
