using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace McProxy.LoadGen;

/// <summary>
/// Memory per idle L7 connection: TLS connections through the proxy's TLS-terminating route, each proved end to
/// end by one answered request (HTTP/1.1, or HTTP/2 once its connection is established), then left open and
/// silent. As for L4 (<see cref="IdleMemory"/>), a line is fitted through the proxy's resident memory at each step.
/// Each connection has an <see cref="HttpClient"/> of its own, so nothing is shared or multiplexed: the client
/// side's memory is the load generator's, not the proxy's.
/// </summary>
internal static class L7IdleMemory
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = options.EndPoint("target");
        var host = options.String("sni");
        using var ca = X509CertificateLoader.LoadCertificateFromFile(options.String("ca"));
        var version = options.String("http", "1.1") switch
        {
            "1.1" => HttpVersion.Version11,
            "2" => HttpVersion.Version20,
            var other => throw new ArgumentException($"--http must be 1.1 or 2, got '{other}'"),
        };
        var count = options.Int("count", 5000);
        var steps = options.Int("steps", 5);
        var pids = options.Pids();
        if (pids.Length == 0)
        {
            throw new ArgumentException("--pids is required");
        }

        var clients = new List<HttpClient>(count + 200);
        var points = new List<(double Connections, double Rss)>();
        try
        {
            // A first batch warms the proxy's pools and JIT so that the fit sees per-connection cost only.
            await OpenAsync(clients, 200, target, host, version, ca);
            points.Add((clients.Count, await IdleMemory.SettledRssAsync(pids)));
            for (var step = 1; step <= steps; step++)
            {
                await OpenAsync(clients, count / steps, target, host, version, ca);
                points.Add((clients.Count, await IdleMemory.SettledRssAsync(pids)));
            }

            // For a look inside the proxy while the connections are open (dotnet-gcdump, /proc/PID/smaps).
            if (options.Int("hold", 0) is > 0 and var hold)
            {
                Console.Error.WriteLine($"mc-loadgen: {clients.Count} idle connections open, holding them {hold} s");
                await Task.Delay(TimeSpan.FromSeconds(hold));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        return Client.Print(new
        {
            bytes_per_conn = Math.Round(IdleMemory.Slope(points)),
            rss_first_mb = Math.Round(points[0].Rss / 1e6, 1),
            rss_last_mb = Math.Round(points[^1].Rss / 1e6, 1),
            connections = clients.Count,
        });
    }

    private static async Task OpenAsync(List<HttpClient> clients, int count, IPEndPoint target, string host, Version version, X509Certificate2 ca)
    {
        var opened = new HttpClient[count];
        var next = -1;

        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var client = Connect(target, ca);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{host}/")
                    {
                        Version = version,
                        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    };
                    using var response = await client.SendAsync(request);
                    response.EnsureSuccessStatusCode();
                    await response.Content.ReadAsByteArrayAsync();
                }
                catch
                {
                    client.Dispose();
                    throw;
                }

                opened[i] = client;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(WorkerAsync)));
        clients.AddRange(opened);
    }

    /// <summary>
    /// A client of one connection to <paramref name="target"/>, whatever the request's host (the SNI and Host the
    /// route answers to), kept open while idle; the route's certificate is checked against <paramref name="ca"/> (the
    /// benchmark's self-signed one).
    /// </summary>
    private static HttpClient Connect(IPEndPoint target, X509Certificate2 ca)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(target, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { ca },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return new HttpClient(handler);
    }
}
