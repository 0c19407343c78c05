using McProxy.Model;
using McProxy.Routing;

namespace McProxy.Tests.Routing;

[UnitTest]
public sealed class RouteTableTests
{
    private static RouteEntry Route(string hostname, int port = 9000) => new(new RouteSettings { Hostname = hostname, Backends = [$"127.0.0.1:{port}"] });

    private static readonly RouteTable Table = new(
        [Route("a.example.net", 1), Route("*.example.net", 2), Route("*.b.example.net", 3), Route("fallback.example.org", 4)],
        "fallback.example.org");

    [Theory]
    [InlineData("a.example.net", "a.example.net")]
    [InlineData("A.EXAMPLE.NET", "a.example.net")]
    [InlineData("c.example.net", "*.example.net")]
    [InlineData("C.Example.Net", "*.example.net")]
    [InlineData("x.b.example.net", "*.b.example.net")]
    [InlineData("example.net", "fallback.example.org")]
    [InlineData("x.y.example.net", "fallback.example.org")]
    [InlineData("unknown.test", "fallback.example.org")]
    [InlineData(null, "fallback.example.org")]
    public void Match_ExactThenWildcardThenDefault(string? serverName, string expected)
        => Assert.Equal(expected, Table.Match(serverName)?.Hostname);

    [Fact]
    public void Match_WithoutDefault_ReturnsNullForUnknownAndMissingSni()
    {
        var table = new RouteTable([Route("a.example.net")], null);

        Assert.Null(table.Match("b.example.net"));
        Assert.Null(table.Match(null));
        Assert.Null(table.Match(""));
        Assert.Null(table.Match("."));
    }

    [Fact]
    public void WithAndWithout_ReturnNewTables_LeavingTheOriginalUntouched()
    {
        var replaced = Table.With(Route("a.example.net", 7));
        var added = Table.With(Route("new.example.com", 8));
        var removed = Table.Without("*.example.net");

        Assert.Equal("127.0.0.1:1", Table.Match("a.example.net")!.Route.Backend);
        Assert.Equal("127.0.0.1:7", replaced.Match("a.example.net")!.Route.Backend);
        Assert.Equal(Table.Routes.Count, replaced.Routes.Count);
        Assert.Equal("new.example.com", added.Match("new.example.com")?.Hostname);
        Assert.NotEqual("new.example.com", Table.Match("new.example.com")?.Hostname);
        Assert.Equal("fallback.example.org", removed.Match("c.example.net")?.Hostname);
        Assert.Equal("*.example.net", Table.Match("c.example.net")?.Hostname);
    }

    [Fact]
    public void RemovingTheDefaultRoute_LeavesNoDefault()
        => Assert.Null(Table.Without("fallback.example.org").Match("unknown.test"));
}
