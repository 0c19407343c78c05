using System.Net.Sockets;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// The PROXY header and the ClientHello arrive however TCP cuts them: bytes after the header in the same segment
/// are the start of the ClientHello, and the backend gets every one of them.
/// </summary>
public sealed class ProxyProtocolSplitTests
{
    public static TheoryData<string> Splits() => new()
    {
        "header in three segments, the hello whole with its last",
        "header a byte at a time for its first ten bytes",
        "header end and half the hello together, then the rest",
        "the header's last byte with the hello's first",
        "header alone, then the hello",
    };

    /// <summary>Where to cut header+hello into segments, for header length <paramref name="h"/> and hello length <paramref name="n"/>.</summary>
    private static int[] Cuts(string split, int h, int n) => split switch
    {
        "header in three segments, the hello whole with its last" => [5, 20],
        "header a byte at a time for its first ten bytes" => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "header end and half the hello together, then the rest" => [7, h + (n / 2)],
        "the header's last byte with the hello's first" => [h - 1, h + 1],
        _ => [h],
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public async Task HeaderAndHello_SplitAnywhere_ReachTheBackendByteForByte(string split)
    {
        foreach (var header in new[] { ProxyProtocolInTests.V1("203.0.113.7", 40001), ProxyProtocolInTests.V2("2001:db8::7", 40002, "raw.example.test") })
        {
            await using var backend = new RawBackend();
            await using var proxy = await TestProxy.StartAsync($"""
                [[listeners]]
                addr = "127.0.0.1:0"
                proxy_protocol = true
                trusted_proxies = ["127.0.0.1"]
                  [[listeners.routes]]
                  hostname = "raw.example.test"
                  backend = "{backend.Address}"
                """);
            var hello = ClientHelloBuilder.Build("raw.example.test", ["h2", "http/1.1"], padding: 600, recordSize: 500);
            byte[] all = [.. header, .. hello];
            var points = Cuts(split, header.Length, hello.Length).ToList();
            points.Add(all.Length);

            using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
            {
                var start = 0;
                foreach (var point in points)
                {
                    await socket.SendAsync(all.AsMemory(start, point - start), SocketFlags.None);
                    start = point;
                    // Separate segments: the proxy's read should see each piece on its own (not relied upon for the assertion).
                    await Task.Delay(20);
                }

                socket.Shutdown(SocketShutdown.Send);
                Assert.Equal(hello, await backend.Received.Task.WaitAsync(TimeSpan.FromSeconds(20)));
            }

            var access = await proxy.Log.WaitForAccessAsync("ok");
            Assert.True(access.Get("Client") is "203.0.113.7:40001" or "[2001:db8::7]:40002", split);
            Assert.Equal("raw.example.test", access.Get("Sni"));
        }
    }
}
