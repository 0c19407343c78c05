using System.Net.Sockets;

namespace McProxy.LoadGen;

/// <summary>
/// Memory per idle relayed connection: opens connections in steps, each proved end to end by one echoed byte,
/// and fits a line through the proxy's resident memory at each step. The slope is the cost of one more idle
/// connection; the intercept (the process's base size) is reported apart.
/// </summary>
internal static class IdleMemory
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = options.EndPoint("target");
        var hello = ClientHello.Build(options.String("sni"));
        var count = options.Int("count", 5000);
        var steps = options.Int("steps", 5);
        var pids = options.Pids();
        if (pids.Length == 0)
        {
            throw new ArgumentException("--pids is required");
        }

        var sockets = new List<Socket>(count + 200);
        var points = new List<(double Connections, double Rss)>();
        try
        {
            // A first batch warms the proxy's pools and JIT so that the fit sees per-connection cost only.
            await OpenAsync(sockets, 200, target, hello);
            points.Add((sockets.Count, await SettledRssAsync(pids)));
            for (var step = 1; step <= steps; step++)
            {
                await OpenAsync(sockets, count / steps, target, hello);
                points.Add((sockets.Count, await SettledRssAsync(pids)));
            }
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }

        return Client.Print(new
        {
            bytes_per_conn = Math.Round(Slope(points)),
            rss_first_mb = Math.Round(points[0].Rss / 1e6, 1),
            rss_last_mb = Math.Round(points[^1].Rss / 1e6, 1),
            connections = sockets.Count,
        });
    }

    private static async Task OpenAsync(List<Socket> sockets, int count, System.Net.IPEndPoint target, byte[] hello)
    {
        var opened = new Socket[count];
        var next = -1;

        async Task WorkerAsync()
        {
            var probe = new byte[1] { 42 };
            var echo = new byte[1];
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var socket = await Client.ConnectAsync(target, hello);
                await socket.SendAsync(probe, SocketFlags.None);
                await Client.ReceiveExactlyAsync(socket, echo);
                opened[i] = socket;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(WorkerAsync)));
        sockets.AddRange(opened);
    }

    /// <summary>The least-squares slope of resident memory over open connections: bytes per connection.</summary>
    public static double Slope(List<(double Connections, double Rss)> points)
    {
        var meanX = points.Average(p => p.Connections);
        var meanY = points.Average(p => p.Rss);
        return points.Sum(p => (p.Connections - meanX) * (p.Rss - meanY)) / points.Sum(p => (p.Connections - meanX) * (p.Connections - meanX));
    }

    /// <summary>RSS once it has stopped moving (the proxy may still be finishing the last connections' work).</summary>
    public static async Task<double> SettledRssAsync(int[] pids)
    {
        long previous = -1;
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(300);
            var rss = ProcStat.RssBytes(pids);
            if (rss == previous)
            {
                return rss;
            }

            previous = rss;
        }

        return previous;
    }
}
