using Grpc.Core;
using Grpc.Net.Client;
using McProxy.Tests.Grpc;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// gRPC through an L7 route, to a real Grpc.AspNetCore service over h2c and over TLS: every call kind, response
/// trailers, and a failing status all arrive as the service sent them.
/// </summary>
public sealed class L7GrpcTests : IAsyncLifetime
{
    private const string Hostname = "grpc.example.test";

    private readonly TestCertificates _certs = new();
    private string _directory = null!;
    private (string Cert, string Key) _pem;

    public Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _pem = PemFiles.Write(_certs.IssueServer(Hostname), _directory, "grpc");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _certs.Dispose();
        return Task.CompletedTask;
    }

    private sealed record Setup(HttpTestBackend Backend, TestProxy Proxy, GrpcChannel Channel) : IAsyncDisposable
    {
        public Echo.EchoClient Client => new(Channel);

        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await Proxy.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }

    private async Task<Setup> StartAsync(BackendMode mode)
    {
        var backend = await HttpTestBackend.StartAsync(
            mode,
            mode == BackendMode.Tls ? _certs.IssueServer(Hostname) : null,
            services => services.AddGrpc(),
            app => app.MapGrpcService<EchoService>());
        var proxy = await TestProxy.StartAsync($"""
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "{Hostname}"
              backend = "{backend.Address}"
              mode = "l7"
              tls_cert = "{_pem.Cert}"
              tls_key = "{_pem.Key}"
              {(mode == BackendMode.Tls ? $"backend_tls = true\nbackend_ca = \"{WriteCa()}\"" : "backend_h2c = true")}
            """, _directory);
        var channel = GrpcChannel.ForAddress(L7TestClient.Url(Hostname, proxy.EndPoint()), new GrpcChannelOptions
        {
            HttpHandler = L7TestClient.CreateHandler(proxy.EndPoint(), _certs),
        });
        return new Setup(backend, proxy, channel);
    }

    private string WriteCa()
    {
        var path = Path.Combine(_directory, "backend-ca.pem");
        File.WriteAllText(path, _certs.Ca.ExportCertificatePem());
        return path;
    }

    [Theory]
    [InlineData(BackendMode.H2c)]
    [InlineData(BackendMode.Tls)]
    public async Task Unary_ThroughL7Route_ReturnsReplyAndTrailers(BackendMode mode)
    {
        await using var setup = await StartAsync(mode);

        using var call = setup.Client.UnaryAsync(new EchoRequest { Text = "hi" });
        var reply = await call.ResponseAsync;

        Assert.Equal("hi", reply.Text);
        Assert.Equal("127.0.0.1", reply.ForwardedFor);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("echo", call.GetTrailers().GetValue("x-served-by"));
    }

    [Theory]
    [InlineData(BackendMode.H2c)]
    [InlineData(BackendMode.Tls)]
    public async Task Unary_ServiceFails_StatusDetailAndTrailersArriveIntact(BackendMode mode)
    {
        await using var setup = await StartAsync(mode);

        using var call = setup.Client.UnaryAsync(new EchoRequest { Text = "hi", FailWith = "not you" });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("not you", error.Status.Detail);
        Assert.Equal("asked to fail", error.Trailers.GetValue("x-reason"));
    }

    [Theory]
    [InlineData(BackendMode.H2c)]
    [InlineData(BackendMode.Tls)]
    public async Task ServerStreaming_ThroughL7Route_ReceivesEveryMessageThenTrailers(BackendMode mode)
    {
        await using var setup = await StartAsync(mode);

        using var call = setup.Client.ServerStream(new EchoRequest { Text = "n", Count = 50 });
        var texts = new List<string>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            texts.Add(reply.Text);
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"n-{i}"), texts);
        Assert.Equal("echo", call.GetTrailers().GetValue("x-served-by"));
    }

    [Theory]
    [InlineData(BackendMode.H2c)]
    [InlineData(BackendMode.Tls)]
    public async Task ServerStreaming_FailsAfterMessages_MessagesThenErrorStatus(BackendMode mode)
    {
        await using var setup = await StartAsync(mode);

        using var call = setup.Client.ServerStream(new EchoRequest { Text = "n", Count = 3, FailWith = "stop here" });
        var texts = new List<string>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var reply in call.ResponseStream.ReadAllAsync())
            {
                texts.Add(reply.Text);
            }
        });

        Assert.Equal(["n-0", "n-1", "n-2"], texts);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("stop here", error.Status.Detail);
    }

    [Theory]
    [InlineData(BackendMode.H2c)]
    [InlineData(BackendMode.Tls)]
    public async Task ClientStreaming_ThroughL7Route_ServiceSeesEveryMessage(BackendMode mode)
    {
        await using var setup = await StartAsync(mode);

        using var call = setup.Client.ClientStream();
        for (var i = 0; i < 20; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"m{i}" });
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call.ResponseAsync;

        Assert.Equal(20, reply.Index);
        Assert.Equal(string.Join(",", Enumerable.Range(0, 20).Select(i => $"m{i}")), reply.Text);
        Assert.Equal("echo", call.GetTrailers().GetValue("x-served-by"));
    }

    [Theory]
    [InlineData(BackendMode.H2c)]
    [InlineData(BackendMode.Tls)]
    public async Task BidiStreaming_ThroughL7Route_EachMessageAnsweredInTurn(BackendMode mode)
    {
        await using var setup = await StartAsync(mode);

        using var call = setup.Client.Bidi();
        // In turn: each reply is read before the next message is sent, so the stream is truly interactive.
        for (var i = 0; i < 10; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"ping{i}" });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"PING{i}", call.ResponseStream.Current.Text);
            Assert.Equal(i, call.ResponseStream.Current.Index);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("echo", call.GetTrailers().GetValue("x-served-by"));
    }
}
