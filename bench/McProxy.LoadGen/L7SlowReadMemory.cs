using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace McProxy.LoadGen;

/// <summary>
/// Memory per slow reader (slowhttptest's slow-read attack at its limit): TLS connections through the proxy's
/// TLS-terminating route, each asking over HTTP/1.1 for a response far larger than any buffer on the way, with a
/// 4 KiB receive buffer and then reading nothing. The proxy must hold what back-pressure leaves in its own buffers;
/// the rest waits in the backend. As for idle connections (<see cref="IdleMemory"/>), a line is fitted through the
/// proxy's resident memory at each step.
/// </summary>
internal static class L7SlowReadMemory
{
    public static async Task<int> RunAsync(Options options)
    {
        var target = options.EndPoint("target");
        var host = options.String("sni");
        var path = options.String("path", "/large");
        using var ca = X509CertificateLoader.LoadCertificateFromFile(options.String("ca"));
        var count = options.Int("count", 1000);
        var steps = options.Int("steps", 5);
        var pids = options.Pids();
        if (pids.Length == 0)
        {
            throw new ArgumentException("--pids is required");
        }

        var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
        var readers = new List<SslStream>(count + 100);
        var points = new List<(double Connections, double Rss)>();
        try
        {
            // A first batch warms the proxy's pools and JIT so that the fit sees per-connection cost only.
            await OpenAsync(readers, 100, target, host, request, ca);
            points.Add((readers.Count, await IdleMemory.SettledRssAsync(pids)));
            for (var step = 1; step <= steps; step++)
            {
                await OpenAsync(readers, count / steps, target, host, request, ca);
                points.Add((readers.Count, await IdleMemory.SettledRssAsync(pids)));
            }

            // For a look inside the proxy while the readers are stalled (dotnet-gcdump, /proc/PID/smaps).
            if (options.Int("hold", 0) is > 0 and var hold)
            {
                Console.Error.WriteLine($"mc-loadgen: {readers.Count} slow readers stalled, holding them {hold} s");
                await Task.Delay(TimeSpan.FromSeconds(hold));
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }
        }

        return Client.Print(new
        {
            bytes_per_conn = Math.Round(IdleMemory.Slope(points)),
            rss_first_mb = Math.Round(points[0].Rss / 1e6, 1),
            rss_last_mb = Math.Round(points[^1].Rss / 1e6, 1),
            connections = readers.Count,
        });
    }

    private static async Task OpenAsync(List<SslStream> readers, int count, IPEndPoint target, string host, byte[] request, X509Certificate2 ca)
    {
        var opened = new SslStream[count];
        var next = -1;

        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                // Set before connecting, so that the window the client advertises is small from the start.
                var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
                try
                {
                    await socket.ConnectAsync(target);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                try
                {
                    await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = host,
                        ApplicationProtocols = [SslApplicationProtocol.Http11],
                        CertificateChainPolicy = new X509ChainPolicy
                        {
                            TrustMode = X509ChainTrustMode.CustomRootTrust,
                            CustomTrustStore = { ca },
                            RevocationMode = X509RevocationMode.NoCheck,
                        },
                    });
                    await tls.WriteAsync(request);
                    // The response has begun (the proxy reached the backend); from now on nothing is read.
                    var first = new byte[1];
                    await tls.ReadExactlyAsync(first);
                }
                catch
                {
                    await tls.DisposeAsync();
                    throw;
                }

                opened[i] = tls;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(WorkerAsync)));
        readers.AddRange(opened);
    }
}
