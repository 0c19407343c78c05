using Google.Protobuf.WellKnownTypes;
using McProxy.Client;
using McProxy.Client.V1;

namespace McProxy.Tests.Cli;

/// <summary>
/// The status lines `mc-proxy status` and `mcproxyctl status` share (McProxy.Client's StatusText), character for
/// character, and the exit codes both programs document (README.md): scripts parse the one and test the other.
/// </summary>
[UnitTest]
public sealed class StatusTextTests
{
    [Fact]
    public void Summary_NamesVersionUptimeConnectionsAndRules()
    {
        var status = new GetStatusResponse
        {
            Version = "1.2.3",
            Uptime = Duration.FromTimeSpan(new TimeSpan(1, 2, 3, 4)),
            ActiveConnections = 5,
            FirewallRuleCount = 2,
        };

        Assert.Equal("mc-proxy 1.2.3, up 1d 02:03:04, 5 active connection(s), 2 firewall rule(s)", StatusText.Summary(status));
    }

    [Fact]
    public void Listener_NamesAddrBoundAddressAndCounters()
    {
        var listener = new ListenerStatus
        {
            Addr = ":443",
            BoundAddr = "0.0.0.0:443",
            RouteCount = 3,
            L7PolicyCount = 1,
            ActiveConnections = 4,
            TotalConnections = 10,
        };

        Assert.Equal("listener :443 on 0.0.0.0:443: 3 route(s), 1 l7 policy(ies), 4 active, 10 total", StatusText.Listener(listener));
    }

    [Fact]
    public void ExitCodes_AreTheDocumentedNumbers()
    {
        // README: mc-proxy 0 success, 1 failure, 2 invalid configuration or refused start, 3 unreachable; mcproxyctl
        // 0 done, 1 rejected, 2 bad command line, 3 unreachable. deploy/mc-proxy.service stops restarting on 2.
        Assert.Equal(
            [0, 1, 1, 2, 2, 3],
            new[] { ExitCodes.Success, ExitCodes.Failed, ExitCodes.Rejected, ExitCodes.BadConfig, ExitCodes.Usage, ExitCodes.Unreachable });
    }
}
