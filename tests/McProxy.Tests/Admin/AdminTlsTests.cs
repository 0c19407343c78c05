using Grpc.Core;
using Grpc.Health.V1;
using McProxy.Client;
using McProxy.Tests.TestInfrastructure;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Tests.Admin;

/// <summary>The admin API on TCP: TLS 1.3, and with client_ca set, mTLS against that CA only.</summary>
public sealed class AdminTlsTests : IAsyncLifetime
{
    private const string L = AdminEnvironment.Listener;
    private readonly TestCertificates _otherCa = new("another CA");
    private AdminEnvironment _env = null!;
    private string _caFile = "";
    private (string Cert, string Key) _client;
    private (string Cert, string Key) _stranger;

    public async Task InitializeAsync()
    {
        _env = await AdminEnvironment.StartAsync(env =>
        {
            var server = AdminCertificates.WriteServer(env.Certs, env.Directory, "admin");
            _caFile = AdminCertificates.WriteCa(env.Certs, env.Directory, "admin");
            _client = AdminCertificates.WriteClient(env.Certs, env.Directory, "operator");
            _stranger = AdminCertificates.WriteClient(_otherCa, env.Directory, "stranger");
            return $"""
                [grpc]
                addr = "127.0.0.1:0"
                tls_cert = "{server.Cert}"
                tls_key = "{server.Key}"
                client_ca = "{_caFile}"
                """;
        });
    }

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        _otherCa.Dispose();
    }

    private string Address => $"127.0.0.1:{_env.AdminPort}";

    [Fact]
    public async Task EveryRpc_WithClientCertificateFromClientCa_Succeeds()
    {
        using var client = McProxyClient.ForAddress(Address, _caFile, _client.Cert, _client.Key);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await client.CheckHealthAsync());
        Assert.Single((await client.GetStatusAsync()).Listeners);
        await client.AddRouteAsync(L, new Route { Hostname = "tls.example.test", Backend = _env.One.Address });
        Assert.Contains(await client.ListRoutesAsync(L), r => r.Hostname == "tls.example.test");
        await client.RemoveRouteAsync(L, "tls.example.test");
        await client.AddFirewallRuleAsync("cidr", "198.51.100.0/24");
        Assert.Single(await client.ListFirewallRulesAsync());
        await client.RemoveFirewallRuleAsync("cidr", "198.51.100.0/24");
        await client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "require_header", "X-Token");
        Assert.Single(await client.ListL7PoliciesAsync(L, AdminEnvironment.L7Host));
        await client.RemoveL7PolicyAsync(L, AdminEnvironment.L7Host, "require_header", "X-Token");

        Assert.DoesNotContain(_env.Store.Routes.List(), r => r.Hostname == "tls.example.test");
        Assert.Empty(_env.Store.FirewallRules.List());
        Assert.Empty(_env.Store.L7Policies.List());
    }

    [Fact]
    public async Task Call_WithoutClientCertificate_IsRefused()
    {
        using var client = McProxyClient.ForAddress(Address, _caFile);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.AddFirewallRuleAsync("ip", "192.0.2.1"));

        AssertRefusedByTransport(error);
        Assert.Empty(_env.Store.FirewallRules.List());
    }

    [Fact]
    public async Task Call_WithClientCertificateFromAnotherCa_IsRefused()
    {
        using var client = McProxyClient.ForAddress(Address, _caFile, _stranger.Cert, _stranger.Key);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.AddFirewallRuleAsync("ip", "192.0.2.1"));

        AssertRefusedByTransport(error);
        Assert.Empty(_env.Store.FirewallRules.List());
    }

    [Fact]
    public async Task Call_TrustingAnotherCa_RejectsTheServer()
    {
        var otherCaFile = AdminCertificates.WriteCa(_otherCa, _env.Directory, "other");
        using var client = McProxyClient.ForAddress(Address, otherCaFile, _client.Cert, _client.Key);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetStatusAsync());

        // The handshake fails on the client's side: no request was sent.
        Assert.Contains(Chain(error.Status.DebugException), e => e is System.Security.Authentication.AuthenticationException);
    }

    /// <summary>The connection failed under the call (a TLS 1.3 client learns of a refused certificate only after its handshake); no server answered.</summary>
    private static void AssertRefusedByTransport(RpcException error)
    {
        Assert.Contains(error.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.NotNull(error.Status.DebugException);
        Assert.Empty(error.Trailers);
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    [Fact]
    public async Task Handshake_Tls12Only_IsRefused()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, _env.AdminPort);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream());

        await Assert.ThrowsAnyAsync<Exception>(() => tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => _env.Certs.Validate(certificate, "127.0.0.1") || certificate is not null,
        }));
    }
}
