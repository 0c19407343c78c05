using System.Net;
using System.Net.Sockets;
using McProxy.Listener;
using McProxy.Tests.TestInfrastructure;
using McProxy.Tls;

namespace McProxy.Tests.Listener;

/// <summary>The sniffer on a real loopback connection: what it answers at the edges of its buffer.</summary>
public sealed class HelloSnifferTests
{
    /// <summary>
    /// A valid prefix of a maximum-size ClientHello framed in 16-byte records, cut at the sniffer's cap: every
    /// byte parses, none completes the message.
    /// </summary>
    private static byte[] IncompleteHelloOfBufferSize()
    {
        var size = ClientHelloBuilder.Message("big.example.test").Length;
        var message = ClientHelloBuilder.Message("big.example.test", padding: ClientHelloParser.MaxHandshakeLength + 4 - size - 4);
        var framed = ClientHelloBuilder.Frame(message, 16);
        Assert.True(framed.Length > HelloSniffer.MaxBufferSize);
        var prefix = framed[..HelloSniffer.MaxBufferSize];
        Assert.Equal(HelloParseStatus.Incomplete, ClientHelloParser.TryParse(prefix).Status);
        return prefix;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SniffAsync_ExactlyBufferSizeOfIncompleteHello_IsRefusedAtOnceAsTooLarge(bool asPreRead)
    {
        var bytes = IncompleteHelloOfBufferSize();
        var (client, server) = await ConnectedPairAsync();
        using (client)
        using (server)
        {
            // The client sends its bytes and then nothing more, without closing: only the buffer's edge can end the sniff.
            var preRead = ReadOnlyMemory<byte>.Empty;
            if (asPreRead)
            {
                preRead = bytes;
            }
            else
            {
                await client.SendAsync(bytes);
            }

            var sniff = await HelloSniffer.SniffAsync(server, preRead).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            System.Buffers.ArrayPool<byte>.Shared.Return(sniff.Buffer);

            Assert.Equal(HelloParseStatus.Invalid, sniff.Result.Status);
            Assert.Equal(HelloSniffer.MaxBufferSize, sniff.Length);
            Assert.StartsWith("ClientHello larger than 16 KiB", sniff.Result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("closed", sniff.Result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SniffAsync_ClientClosesMidHello_SaysSo()
    {
        var (client, server) = await ConnectedPairAsync();
        using (client)
        using (server)
        {
            await client.SendAsync(ClientHelloBuilder.Build("a.example.test").AsMemory(0, 40));
            client.Shutdown(SocketShutdown.Send);

            var sniff = await HelloSniffer.SniffAsync(server).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            System.Buffers.ArrayPool<byte>.Shared.Return(sniff.Buffer);

            Assert.Equal(HelloParseStatus.Invalid, sniff.Result.Status);
            Assert.Equal("client closed after 40 bytes of an incomplete ClientHello", sniff.Result.Error);
        }
    }

    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = await RawClient.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        var server = await listener.AcceptAsync();
        return (client, server);
    }
}
