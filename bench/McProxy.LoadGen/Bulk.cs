using System.Diagnostics;
using System.Net.Sockets;

namespace McProxy.LoadGen;

/// <summary>
/// Bulk throughput, backend to client, over one or more streams, and the proxy's CPU seconds per GB relayed
/// (from /proc over the same window).
/// </summary>
internal static class Bulk
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = options.EndPoint("target");
        var hello = ClientHello.Build(options.String("sni"));
        var streams = options.Int("streams", 1);
        var duration = TimeSpan.FromSeconds(options.Double("duration", 5));
        var pids = options.Pids();
        long bytes = 0;
        using var stop = new CancellationTokenSource();

        async Task StreamAsync()
        {
            var buffer = new byte[256 * 1024];
            using var socket = await Client.ConnectAsync(target, hello);
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
                {
                    Interlocked.Add(ref bytes, read);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        var tasks = Enumerable.Range(0, streams).Select(_ => Task.Run(StreamAsync)).ToArray();
        await Task.Delay(Client.Warmup);
        var (startBytes, startCpu, started) = (Interlocked.Read(ref bytes), ProcStat.CpuSeconds(pids), Stopwatch.GetTimestamp());
        await Task.Delay(duration);
        var (endBytes, endCpu, elapsed) = (Interlocked.Read(ref bytes), ProcStat.CpuSeconds(pids), Stopwatch.GetElapsedTime(started));
        stop.Cancel();
        await Task.WhenAll(tasks);

        var gigabytes = (endBytes - startBytes) / 1e9;
        return Client.Print(new
        {
            mb_per_s = Math.Round(gigabytes * 1000 / elapsed.TotalSeconds, 1),
            cpu_s_per_gb = pids.Length > 0 && gigabytes > 0 ? Math.Round((endCpu - startCpu) / gigabytes, 3) : 0,
            cpu_utilisation = pids.Length > 0 ? Math.Round((endCpu - startCpu) / elapsed.TotalSeconds, 2) : 0,
        });
    }
}
