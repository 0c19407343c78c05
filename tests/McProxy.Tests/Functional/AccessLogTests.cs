using System.Globalization;
using System.Net.Sockets;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>SPEC §6: one access line per connection, every field present and true to what happened.</summary>
public sealed class AccessLogTests
{
    private static readonly string[] AccessFields =
        ["Listener", "Client", "Sni", "Route", "Mode", "Backend", "BytesIn", "BytesOut", "DurationMs", "Outcome", "Detail", "ConnectionId"];

    private static string Config(string backend) => $"""
        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "*.apps.example.test"
          backend = "{backend}"
        """;

    [Fact]
    public async Task L4Connection_AccessLine_CarriesEveryFieldWithTheBytesSentEachWay()
    {
        var reply = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        await using var backend = new RawBackend(reply: reply);
        await using var proxy = await TestProxy.StartAsync(Config(backend.Address));
        var hello = ClientHelloBuilder.Build("web.apps.example.test", alpn: ["h2", "http/1.1"]);
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)(i * 31)).ToArray();

        string client;
        long received = 0;
        using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            client = socket.LocalEndPoint!.ToString()!;
            await socket.SendAsync(hello);
            await socket.SendAsync(payload);
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[8192];
            int read;
            while ((read = await socket.ReceiveAsync(buffer)) > 0)
            {
                received += read;
            }
        }

        Assert.Equal(reply.Length, received);
        Assert.Equal(hello.Length + payload.Length, (await backend.Received.Task).Length);
        var access = await proxy.Log.WaitForAccessAsync("ok");
        AssertHasEveryField(access);
        Assert.Equal(1, access.EventId);
        Assert.Equal(LogLevel.Information, access.Level);
        Assert.Equal("127.0.0.1:0", access.Get("Listener"));
        Assert.Equal(client, access.Get("Client"));
        Assert.Equal("web.apps.example.test", access.Get("Sni"));
        Assert.Equal("*.apps.example.test", access.Get("Route"));
        Assert.Equal("l4", access.Get("Mode"));
        Assert.Equal(backend.Address, access.Get("Backend"));
        Assert.Equal(hello.Length + payload.Length, Number(access, "BytesIn"));
        Assert.Equal(reply.Length, Number(access, "BytesOut"));
        Assert.InRange(Number(access, "DurationMs"), 0, 60_000);
        Assert.Equal("", access.Get("Detail"));
        Assert.InRange(Number(access, "ConnectionId"), 1, long.MaxValue);
        Assert.Contains($"in={hello.Length + payload.Length} out={reply.Length}", access.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownServerName_AccessLine_NamesTheSniAndNoRouteOrBackend()
    {
        await using var backend = new RawBackend();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Address));

        string client;
        using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            client = socket.LocalEndPoint!.ToString()!;
            await socket.SendAsync(ClientHelloBuilder.Build("nowhere.example.test"));
            Assert.NotEqual("timeout", await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(10)));
        }

        var access = await proxy.Log.WaitForAccessAsync("no_route");
        AssertHasEveryField(access);
        Assert.Equal("127.0.0.1:0", access.Get("Listener"));
        Assert.Equal(client, access.Get("Client"));
        Assert.Equal("nowhere.example.test", access.Get("Sni"));
        Assert.Equal("", access.Get("Route"));
        Assert.Equal("", access.Get("Mode"));
        Assert.Equal("", access.Get("Backend"));

        // Nothing was relayed: the ClientHello was read, never forwarded.
        Assert.Equal(0, Number(access, "BytesIn"));
        Assert.Equal(0, Number(access, "BytesOut"));
    }

    [Fact]
    public async Task NotTls_AccessLine_IsBadHelloWithTheReasonInDetail()
    {
        await using var backend = new RawBackend();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Address));

        string client;
        using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            client = socket.LocalEndPoint!.ToString()!;
            await socket.SendAsync("GET / HTTP/1.1\r\nHost: web.apps.example.test\r\n\r\n"u8.ToArray());
            Assert.NotEqual("timeout", await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(10)));
        }

        var access = await proxy.Log.WaitForAccessAsync("bad_hello");
        AssertHasEveryField(access);
        Assert.Equal(client, access.Get("Client"));
        Assert.Equal("", access.Get("Sni"));
        Assert.Equal("", access.Get("Route"));
        Assert.Equal(0, Number(access, "BytesIn"));
        Assert.Contains("not a TLS handshake record", access.Get("Detail"), StringComparison.Ordinal);
        Assert.Contains("outcome=bad_hello detail=not a TLS handshake record", access.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientHello_DebugLine_SharesTheAccessLinesConnectionIdAndNamesTheAlpn()
    {
        await using var backend = new RawBackend();
        await using var proxy = await TestProxy.StartAsync(Config(backend.Address));

        using (var socket = await RawClient.ConnectAsync(proxy.EndPoint()))
        {
            await socket.SendAsync(ClientHelloBuilder.Build("nowhere.example.test", alpn: ["h2", "http/1.1"]));
            await RawClient.ReadToEndAsync(socket, TimeSpan.FromSeconds(10));
        }

        var access = await proxy.Log.WaitForAccessAsync("no_route");
        var hello = await proxy.Log.WaitForAsync(e => e.EventId == 3 && e.Category == "McProxy.Connection");
        Assert.Equal(LogLevel.Debug, hello.Level);
        Assert.Equal(access.Get("ConnectionId"), hello.Get("ConnectionId"));
        Assert.Equal("nowhere.example.test", hello.Get("Sni"));
        Assert.Equal("h2,http/1.1", hello.Get("Alpn"));
    }

    private static void AssertHasEveryField(LogEntry access)
    {
        foreach (var field in AccessFields)
        {
            Assert.True(access.Fields.ContainsKey(field), $"access line lacks {field}: {access.Message}");
        }
    }

    private static long Number(LogEntry entry, string field) => long.Parse(entry.Get(field)!, CultureInfo.InvariantCulture);
}
