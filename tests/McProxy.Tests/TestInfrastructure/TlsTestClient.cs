using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>A TLS client that trusts only the test CA and checks the server's name, as a real client would.</summary>
public sealed class TlsTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly byte[] _buffer = new byte[65536];
    private readonly StringBuilder _received = new();

    private TlsTestClient(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        Tls = tls;
    }

    public SslStream Tls { get; }

    public Socket Socket => _tcp.Client;

    /// <summary>Connects, sends <paramref name="preamble"/> (such as a PROXY header) if given, then completes a TLS handshake.</summary>
    public static async Task<TlsTestClient> ConnectAsync(IPEndPoint proxy, string serverName, TestCertificates trust, byte[]? preamble = null, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient(proxy.AddressFamily);
        await tcp.ConnectAsync(proxy, cancellationToken);
        if (preamble is not null)
        {
            await tcp.GetStream().WriteAsync(preamble, cancellationToken);
        }

        var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => trust.Validate(certificate, serverName),
            }, cancellationToken);
        }
        catch
        {
            await tls.DisposeAsync();
            tcp.Dispose();
            throw;
        }

        return new TlsTestClient(tcp, tls);
    }

    /// <summary>Reads until the text received so far contains <paramref name="expected"/>; returns all of it.</summary>
    public async Task<string> ReadUntilAsync(string expected, CancellationToken cancellationToken = default)
    {
        while (!_received.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var read = await Tls.ReadAsync(_buffer, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException($"closed before \"{expected}\"; got \"{_received}\"");
            }

            _received.Append(Encoding.ASCII.GetString(_buffer, 0, read));
        }

        return _received.ToString();
    }

    /// <summary>close_notify, FIN, then read to the end: a clean close on both sides, so nobody sees a reset.</summary>
    public async Task<string> CloseGracefullyAsync(CancellationToken cancellationToken = default)
    {
        await Tls.ShutdownAsync();
        Socket.Shutdown(SocketShutdown.Send);
        int read;
        while ((read = await Tls.ReadAsync(_buffer, cancellationToken)) > 0)
        {
            _received.Append(Encoding.ASCII.GetString(_buffer, 0, read));
        }

        await DisposeAsync();
        return _received.ToString();
    }

    public Task WriteAsync(string text, CancellationToken cancellationToken = default)
        => Tls.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken).AsTask();

    public async ValueTask DisposeAsync()
    {
        await Tls.DisposeAsync();
        _tcp.Dispose();
    }
}
