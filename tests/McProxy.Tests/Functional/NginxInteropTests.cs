using System.Net;
using System.Net.Sockets;
using System.Text;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// PROXY protocol against nginx's stream module, a second peer no one here wrote: nginx sends its v1 header to our
/// listener, and reads the v2 header an L4 route with send_proxy_protocol writes.
/// </summary>
public sealed class NginxInteropTests : IAsyncLifetime
{
    /// <summary>Debian's libnginx-mod-stream (scripts/install-test-deps.sh installs it).</summary>
    private const string StreamModule = "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\nevents { }";

    private readonly TestCertificates _certs = new();
    private TlsBackend _app = null!;

    public Task InitializeAsync()
    {
        _app = new TlsBackend("app", _certs.IssueServer("app.example.test"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _certs.Dispose();
    }

    [Fact]
    public async Task NginxProxyProtocolOn_InFrontOfOurListener_ReachesTheRoute_WithTheRealClientAddress()
    {
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
            proxy_protocol = true
            trusted_proxies = ["127.0.0.1/32"]
              [[listeners.routes]]
              hostname = "app.example.test"
              backend = "{_app.Address}"
            """);
        var nginxPort = PeerProcess.FreePort();
        await using var nginx = await PeerProcess.StartNginxAsync($$"""
            {{StreamModule}}
            stream {
              server {
                listen 127.0.0.1:{{nginxPort}};
                proxy_pass 127.0.0.1:{{proxy.EndPoint().Port}};
                proxy_protocol on;
                # Without it nginx closes both sides at the client's FIN, and a reply still in flight to it
                # turns that close into a reset.
                proxy_half_close on;
              }
            }
            """, nginxPort);

        var client = await TlsTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, nginxPort), "app.example.test", _certs);
        var clientEndPoint = client.Socket.LocalEndPoint!.ToString();
        var greeting = await client.ReadUntilAsync("\n");
        await client.CloseGracefullyAsync();

        Assert.Equal("hello from app sni=app.example.test\n", greeting);
        // nginx connects to us from a port of its own: only its header can tell us the client's.
        var access = await proxy.Log.WaitForAsync(e => e.Category == "McProxy.Access" && e.Get("Client") == clientEndPoint);
        Assert.True(access.Get("Outcome") == "ok", $"outcome {access.Get("Outcome")} {access.Get("Detail")}");
        Assert.Equal("app.example.test", access.Get("Route"));
    }

    public static TheoryData<string, byte[], string> Upstreams() => new()
    {
        { "a v1 header from an edge proxy", ProxyProtocolInTests.V1("203.0.113.77", 41000), "203.0.113.77:41000" },
        { "a v2 header with an IPv6 client", ProxyProtocolInTests.V2("2001:db8::77", 41001), "2001:db8::77:41001" },
    };

    [Theory]
    [MemberData(nameof(Upstreams))]
    public async Task OurV2Header_OnASendProxyProtocolRoute_IsReadByNginx_WithTheClient(string description, byte[] upstream, string expectedClient)
    {
        var nginxPort = PeerProcess.FreePort();
        await using var nginx = await PeerProcess.StartNginxAsync($$"""
            {{StreamModule}}
            stream {
              server {
                listen 127.0.0.1:{{nginxPort}} proxy_protocol;
                # ssl_preread reads the ClientHello that follows the header (nginx resets a connection it closes
                # with bytes unread) and names its SNI.
                ssl_preread on;
                return "client=$proxy_protocol_addr:$proxy_protocol_port sni=$ssl_preread_server_name\n";
              }
            }
            """, nginxPort);
        await using var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
            proxy_protocol = true
            trusted_proxies = ["127.0.0.1"]
              [[listeners.routes]]
              hostname = "raw.example.test"
              backend = "127.0.0.1:{nginxPort}"
              send_proxy_protocol = true
            """);

        using var client = new TcpClient();
        await client.ConnectAsync(proxy.EndPoint());
        var stream = client.GetStream();
        await stream.WriteAsync(upstream.Concat(ClientHelloBuilder.Build("raw.example.test")).ToArray());
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(answer == $"client={expectedClient} sni=raw.example.test\n", $"{description}: nginx answered \"{answer}\"");
    }
}
