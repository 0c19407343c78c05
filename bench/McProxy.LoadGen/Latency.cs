using System.Diagnostics;
using System.Net.Sockets;

namespace McProxy.LoadGen;

/// <summary>
/// Request/response latency at a fixed rate well below saturation: each connection sends a small request on its
/// own schedule (start + k × interval, so it does not slip) and times send to echo. The time is taken from the
/// send, not from when it was due: the timer wakes up to a millisecond late, which would swamp the figure.
/// Samples from the warm-up are dropped.
/// </summary>
internal static class Latency
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = options.EndPoint("target");
        var hello = ClientHello.Build(options.String("sni"));
        var rate = options.Double("rate", 2000);
        var connections = options.Int("connections", 10);
        var size = options.Int("size", 64);
        var duration = TimeSpan.FromSeconds(options.Double("duration", 5));
        var interval = TimeSpan.FromSeconds(connections / rate);
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(Client.Warmup.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        async Task<List<long>> ConnectionAsync(int index)
        {
            var samples = new List<long>((int)(duration.TotalSeconds / interval.TotalSeconds) + 16);
            var request = new byte[size];
            var response = new byte[size];
            using var socket = await Client.ConnectAsync(target, hello);
            // Spread the connections' schedules evenly over one interval.
            var due = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency * index / connections);
            var step = (long)(interval.TotalSeconds * Stopwatch.Frequency);
            while (due < end)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var sent = Stopwatch.GetTimestamp();
                await socket.SendAsync(request, SocketFlags.None);
                await Client.ReceiveExactlyAsync(socket, response);
                var done = Stopwatch.GetTimestamp();
                if (sent >= measureFrom)
                {
                    samples.Add(done - sent);
                }

                due += step;
            }

            return samples;
        }

        var all = (await Task.WhenAll(Enumerable.Range(0, connections).Select(i => Task.Run(() => ConnectionAsync(i))))).SelectMany(s => s).ToArray();
        Array.Sort(all);
        double Percentile(double p) => all.Length == 0 ? 0 : Math.Round(all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1e6 / Stopwatch.Frequency, 1);
        return Client.Print(new
        {
            p50_us = Percentile(0.50),
            p99_us = Percentile(0.99),
            p999_us = Percentile(0.999),
            requests_per_s = Math.Round(all.Length / duration.TotalSeconds, 1),
        });
    }
}
