using McProxy.Model;
using McProxy.Store;

namespace McProxy.Tests.Admin;

/// <summary>
/// Values today's rules refuse, stored by an older build, can still be removed through the API: removal finds a route or
/// policy by what is stored and is held only to "present and bounded", not to the rules for adding.
/// </summary>
public sealed class AdminLegacyValueTests
{
    [Fact]
    public async Task Remove_PolicyValueTodaysRulesRefuse_IsRemovedFromTheDatabase()
    {
        await using var env = await AdminEnvironment.StartAsync();
        var route = env.Store.Routes.List().Single(r => r.Hostname == AdminEnvironment.L7Host);
        await env.Store.L7Policies.CreateAsync(route.Id, "require_header", "X-Api-Key: secret", CancellationToken.None);

        await env.Client.RemoveL7PolicyAsync(AdminEnvironment.Listener, AdminEnvironment.L7Host, "require_header", "X-Api-Key: secret");

        Assert.DoesNotContain(env.Store.L7Policies.List(), p => p.Value == "X-Api-Key: secret");
    }

    [Fact]
    public async Task Remove_HostnameTodaysRulesRefuse_IsRemovedFromTheDatabase()
    {
        await using var env = await AdminEnvironment.StartAsync();
        var listenerId = env.Store.Routes.List()[0].ListenerId;
        await env.Store.Routes.UpsertAsync(StoredRoute.From(new RouteSettings { Hostname = "old_name.example.test", Backends = ["127.0.0.1:1"] }, listenerId), CancellationToken.None);

        await env.Client.RemoveRouteAsync(AdminEnvironment.Listener, "old_name.example.test");

        Assert.DoesNotContain(env.Store.Routes.List(), r => r.Hostname == "old_name.example.test");
    }
}
