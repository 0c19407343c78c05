using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using McProxy.Http.Tls;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Http;

/// <summary>
/// OpenSSL's record buffers are released while an L7 connection is idle: the mode is really set on the server's
/// SslStream (which fails if the runtime's private layout changes), and records larger than one buffer still flow
/// both ways once the buffers come and go.
/// </summary>
public sealed class TlsIdleBuffersTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task TryRelease_AfterHandshake_SetsTheModeAndDataStillFlowsBothWays()
    {
        Assert.True(OperatingSystem.IsLinux(), "the proxy's L7 path runs on Linux");
        using var certificate = _certificates.IssueServer("idle.test");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await clientSocket.ConnectAsync(listener.LocalEndPoint!);
        using var serverSocket = await listener.AcceptAsync();
        await using var server = new SslStream(new NetworkStream(serverSocket, ownsSocket: false));
        await using var client = new SslStream(new NetworkStream(clientSocket, ownsSocket: false));

        await Task.WhenAll(
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(certificate, [], offline: true),
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            }),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "idle.test",
                RemoteCertificateValidationCallback = (_, presented, _, _) => _certificates.Validate(presented, "idle.test"),
            }));

        Assert.True(TlsIdleBuffers.Available);
        Assert.True(TlsIdleBuffers.TryRelease(server));

        // 64 KiB is four full records each way, each needing a buffer OpenSSL frees after it.
        var request = RandomBytes(64 * 1024, seed: 1);
        var response = RandomBytes(64 * 1024, seed: 2);
        var received = new byte[request.Length];
        await Task.WhenAll(client.WriteAsync(request).AsTask(), server.ReadExactlyAsync(received).AsTask());
        Assert.Equal(request, received);
        var echoed = new byte[response.Length];
        await Task.WhenAll(server.WriteAsync(response).AsTask(), client.ReadExactlyAsync(echoed).AsTask());
        Assert.Equal(response, echoed);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
