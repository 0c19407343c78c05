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
        var stop = false;

        // Blocking reads on a thread per stream: a wake-up costs a context switch, not an epoll event handed to the
        // thread pool, so the client, on its one CPU, keeps up with a proxy that sends in small chunks.
        void Stream()
        {
            var buffer = new byte[256 * 1024];
            using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 2000 };
            socket.Connect(target);
            socket.Send(hello);
            try
            {
                int read;
                while (!Volatile.Read(ref stop) && (read = socket.Receive(buffer)) > 0)
                {
                    Interlocked.Add(ref bytes, read);
                }
            }
            catch (SocketException)
            {
            }
        }

        var threads = Enumerable.Range(0, streams).Select(_ => new Thread(Stream) { IsBackground = true }).ToArray();
        Array.ForEach(threads, t => t.Start());
        await Task.Delay(Client.Warmup);
        var (startBytes, startCpu, started) = (Interlocked.Read(ref bytes), ProcStat.CpuSeconds(pids), Stopwatch.GetTimestamp());
        await Task.Delay(duration);
        var (endBytes, endCpu, elapsed) = (Interlocked.Read(ref bytes), ProcStat.CpuSeconds(pids), Stopwatch.GetElapsedTime(started));
        Volatile.Write(ref stop, true);
        Array.ForEach(threads, t => t.Join());

        var gigabytes = (endBytes - startBytes) / 1e9;
        return Client.Print(new
        {
            mb_per_s = Math.Round(gigabytes * 1000 / elapsed.TotalSeconds, 1),
            cpu_s_per_gb = pids.Length > 0 && gigabytes > 0 ? Math.Round((endCpu - startCpu) / gigabytes, 3) : 0,
            cpu_utilisation = pids.Length > 0 ? Math.Round((endCpu - startCpu) / elapsed.TotalSeconds, 2) : 0,
        });
    }
}
