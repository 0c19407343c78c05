using McProxy.Client.V1;
using McProxyCtl.Commands;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Tests.Ctl;

/// <summary>
/// `routes list`'s OPTIONS column shows a pool at a glance, as issue 16 asks of the route list: each backend not
/// enabled, each one down, and the connections open to the route; a plain route shows nothing.
/// </summary>
[UnitTest]
public sealed class RoutesListOptionsTests
{
    private static BackendStatus Status(string address, string state = "enabled", bool healthy = true, long active = 0)
        => new() { Address = address, AdminState = state, Healthy = healthy, ActiveConnections = active };

    [Fact]
    public void Pool_ShowsBalanceCheckDrainedDownAndOpenConnections()
    {
        var route = new Route { Hostname = "pool.example.net", Balance = "round_robin", HealthCheck = "tcp" };
        route.Backends.Add(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"]);
        route.BackendStatus.Add([Status("10.0.0.1:80", active: 3), Status("10.0.0.2:80", "drain", active: 2), Status("10.0.0.3:80", healthy: false)]);

        Assert.Equal("balance=round_robin,check=tcp,drain=10.0.0.2:80,down=10.0.0.3:80,active=5", RoutesListCommand.Describe(route));
    }

    [Fact]
    public void SingleIdleBackend_ShowsNothing()
    {
        var route = new Route { Hostname = "one.example.net", Backend = "10.0.0.1:80", Balance = "least_connections", HealthCheck = "none" };
        route.BackendStatus.Add(Status("10.0.0.1:80"));

        Assert.Equal("-", RoutesListCommand.Describe(route));
    }
}
