using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Admin;

/// <summary>A firewall rule added or removed over the admin API applies to the next connection, not to open ones.</summary>
public sealed class AdminFirewallTests : IAsyncLifetime
{
    private AdminEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await AdminEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task AddFirewallRule_BlocksTheNextConnection_WhileAnOpenOneFlows_AndRemoveLiftsIt()
    {
        var open = await TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), AdminEnvironment.L4Host, _env.Certs);
        await open.ReadUntilAsync("\n");

        await _env.Client.AddFirewallRuleAsync("cidr", "127.0.0.0/8");

        Assert.Equal(("reset", 0), await RawClient.SendAndReadEndAsync(_env.Proxy.EndPoint(), ClientHelloBuilder.Build(AdminEnvironment.L4Host)));
        await _env.Proxy.Log.WaitForAccessAsync("blocked_cidr");
        await open.WriteAsync("after the rule\n");
        await open.ReadUntilAsync("after the rule\n");

        await _env.Client.RemoveFirewallRuleAsync("cidr", "127.0.0.0/8");

        await using var next = await TlsTestClient.ConnectAsync(_env.Proxy.EndPoint(), AdminEnvironment.L4Host, _env.Certs);
        Assert.StartsWith("hello from one", await next.ReadUntilAsync("\n"), StringComparison.Ordinal);
        Assert.EndsWith("bye one\n", await open.CloseGracefullyAsync(), StringComparison.Ordinal);
    }
}
