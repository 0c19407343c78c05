using System.Diagnostics;
using System.Net.Sockets;

namespace McProxy.LoadGen;

/// <summary>
/// New connections per second: each worker connects, sends a ClientHello, reads the backend's answer to its end
/// and closes, over and over. Counts whole exchanges that completed inside the window, and the proxy's CPU time
/// per exchange over the same window (from /proc), which a busy shared machine distorts far less than the rate.
/// </summary>
internal static class ConnectionRate
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = options.EndPoint("target");
        var hello = ClientHello.Build(options.String("sni"));
        var workers = options.Int("connections", 64);
        var duration = TimeSpan.FromSeconds(options.Double("duration", 5));
        var pids = options.Pids();
        long completed = 0;
        long errors = 0;
        using var stop = new CancellationTokenSource(Client.Warmup + duration + TimeSpan.FromSeconds(0.2));

        async Task WorkerAsync()
        {
            var buffer = new byte[1024];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var socket = await Client.ConnectAsync(target, hello, stop.Token);
                    var total = 0;
                    int read;
                    while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
                    {
                        total += read;
                    }

                    if (total > 0)
                    {
                        Interlocked.Increment(ref completed);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }

        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(WorkerAsync)).ToArray();
        await Task.Delay(Client.Warmup);
        var (startCount, startErrors, startCpu, started) = (Interlocked.Read(ref completed), Interlocked.Read(ref errors), ProcStat.CpuSeconds(pids), Stopwatch.GetTimestamp());
        await Task.Delay(duration);
        var (endCount, endErrors, endCpu, elapsed) = (Interlocked.Read(ref completed), Interlocked.Read(ref errors), ProcStat.CpuSeconds(pids), Stopwatch.GetElapsedTime(started));
        await Task.WhenAll(tasks);
        return Client.Print(new
        {
            conn_per_s = Math.Round((endCount - startCount) / elapsed.TotalSeconds, 1),
            errors = endErrors - startErrors,
            cpu_us_per_conn = pids.Length > 0 && endCount > startCount ? Math.Round((endCpu - startCpu) * 1e6 / (endCount - startCount), 1) : 0,
            cpu_utilisation = pids.Length > 0 ? Math.Round((endCpu - startCpu) / elapsed.TotalSeconds, 2) : 0,
        });
    }
}
