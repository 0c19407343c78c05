using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// A real TLS server on 127.0.0.1:0. Per connection: completes the handshake with its own certificate, writes
/// "hello from NAME sni=SNI\n", then echoes every byte until the client half-closes, then writes "bye NAME\n"
/// and closes. This lets tests see which backend answered, that TLS passed through untouched, and half-close.
/// </summary>
public sealed class TlsBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _connections;

    public TlsBackend(string name, X509Certificate2 certificate, IPAddress? address = null)
    {
        Name = name;
        _certificate = certificate;
        _listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        _listener.Start();
        // Off the test's synchronization context: xunit gives it as many threads as cores, and a backend must not wait
        // behind test code for a turn to answer.
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public string Name { get; }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Connections => Volatile.Read(ref _connections);

    public string Address => EndPoint.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]:{EndPoint.Port}" : $"{EndPoint.Address}:{EndPoint.Port}";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, _stop.Token);
                await tls.WriteAsync(Encoding.ASCII.GetBytes($"hello from {Name} sni={tls.TargetHostName}\n"), _stop.Token);
                var buffer = new byte[16384];
                int read;
                while ((read = await tls.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    await tls.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }

                await tls.WriteAsync(Encoding.ASCII.GetBytes($"bye {Name}\n"), _stop.Token);
                await tls.ShutdownAsync();
            }
            catch (Exception)
            {
                // A test client that resets or is cut by the proxy is expected here.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }
}
