using McProxy.Model;
using McProxy.Net;
using McProxy.Routing.Pools;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Routing.Pools;

[UnitTest]
public sealed class PoolMemberTests
{
    private static readonly HostPort Address = new("127.0.0.1", 9001);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void RecordCheck_FallMinusOneFailuresKeepItUp_TheFallthMarksItDownOnce(int fall)
    {
        var changes = new List<HealthTransition>();
        var member = new PoolMember(Address, new HealthPolicy(2, fall, TimeSpan.FromSeconds(5)), changes.Add);

        for (var i = 0; i < fall - 1; i++)
        {
            member.RecordCheck(false, "connection refused");
        }

        Assert.True(member.IsUp);
        Assert.Empty(changes);

        member.RecordCheck(false, "connection refused");
        Assert.False(member.IsUp);
        Assert.False(member.IsUsable);
        var change = Assert.Single(changes);
        Assert.False(change.Up);
        Assert.Equal(fall, change.Checks);
        Assert.Equal($"backend 127.0.0.1:9001 down after {fall} failed checks: connection refused", change.Describe());

        member.RecordCheck(false, "connection refused");
        Assert.Single(changes);
        Assert.Equal(fall + 1, member.ChecksFailed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void RecordCheck_RiseMinusOnePassesKeepItDown_TheRisethBringsItUpOnce(int rise)
    {
        var changes = new List<HealthTransition>();
        var member = new PoolMember(Address, new HealthPolicy(rise, 1, TimeSpan.FromSeconds(5)), changes.Add);
        member.RecordCheck(false, "HTTP 500");
        changes.Clear();

        for (var i = 0; i < rise - 1; i++)
        {
            member.RecordCheck(true, "HTTP 200");
        }

        Assert.False(member.IsUp);
        Assert.Empty(changes);

        member.RecordCheck(true, "HTTP 200");
        Assert.True(member.IsUp);
        var change = Assert.Single(changes);
        Assert.True(change.Up);
        Assert.Equal(rise, change.Checks);
    }

    [Fact]
    public void RecordCheck_APassBetweenFailuresStartsTheCountAgain()
    {
        var member = new PoolMember(Address, new HealthPolicy(2, 3, TimeSpan.FromSeconds(5)));

        member.RecordCheck(false, "x");
        member.RecordCheck(false, "x");
        member.RecordCheck(true, "ok");
        member.RecordCheck(false, "x");
        member.RecordCheck(false, "x");
        Assert.True(member.IsUp);

        member.RecordCheck(false, "x");
        Assert.False(member.IsUp);

        member.RecordCheck(true, "ok");
        member.RecordCheck(false, "x");
        member.RecordCheck(true, "ok");
        Assert.False(member.IsUp);
        member.RecordCheck(true, "ok");
        Assert.True(member.IsUp);
    }

    [Fact]
    public void RecordConnectFailure_CountsOncePerInterval_SoABurstWeighsAsOneCheck()
    {
        var clock = new ManualTimeProvider();
        var changes = new List<HealthTransition>();
        var member = new PoolMember(Address, new HealthPolicy(2, 3, TimeSpan.FromSeconds(5)), changes.Add, clock);

        for (var i = 0; i < 1000; i++)
        {
            member.RecordConnectFailure("connection refused");
        }

        Assert.Equal(1000, member.FailedConnects);
        Assert.True(member.IsUp);

        clock.Advance(TimeSpan.FromSeconds(5));
        member.RecordConnectFailure("connection refused");
        Assert.True(member.IsUp);

        // A third piece of evidence: an active check, which the passive limit does not hold back.
        member.RecordCheck(false, "connection refused");
        Assert.False(member.IsUp);
        var change = Assert.Single(changes);
        Assert.Equal(3, change.Checks);
        Assert.False(change.Passive);
    }

    [Fact]
    public void RecordConnectFailure_TheDecidingFailureIsReportedAsPassive()
    {
        var clock = new ManualTimeProvider();
        var changes = new List<HealthTransition>();
        var member = new PoolMember(Address, new HealthPolicy(2, 2, TimeSpan.FromSeconds(1)), changes.Add, clock);

        member.RecordConnectFailure("connection refused");
        clock.Advance(TimeSpan.FromSeconds(1));
        member.RecordConnectFailure("timed out");

        Assert.False(member.IsUp);
        var change = Assert.Single(changes);
        Assert.True(change.Passive);
        Assert.Equal("timed out", change.Reason);

        // Down: failed connects mark nothing more, and only active checks bring it back.
        clock.Advance(TimeSpan.FromSeconds(10));
        member.RecordConnectFailure("connection refused");
        Assert.Single(changes);
        member.RecordCheck(true, "connected");
        member.RecordCheck(true, "connected");
        Assert.True(member.IsUp);
    }

    [Fact]
    public void RecordConnectFailure_WithoutChecks_CountsButNeverMarksDown()
    {
        var clock = new ManualTimeProvider();
        var member = new PoolMember(Address, HealthPolicy.None, time: clock);

        for (var i = 0; i < 10; i++)
        {
            member.RecordConnectFailure("connection refused");
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.True(member.IsUp);
        Assert.Equal(10, member.FailedConnects);
    }

    [Fact]
    public void AdminState_OnlyEnabledAndUpIsUsable()
    {
        var member = new PoolMember(Address, new HealthPolicy(1, 1, TimeSpan.FromSeconds(1)));
        Assert.True(member.IsUsable);

        member.SetAdminState(BackendAdminState.Drain);
        Assert.False(member.IsUsable);
        member.SetAdminState(BackendAdminState.Disabled);
        Assert.False(member.IsUsable);
        member.SetAdminState(BackendAdminState.Enabled);
        Assert.True(member.IsUsable);

        member.RecordCheck(false, "x");
        Assert.False(member.IsUsable);
        Assert.Equal(BackendAdminState.Enabled, member.AdminState);
    }
}
