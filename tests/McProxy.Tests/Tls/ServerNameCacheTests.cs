using McProxy.Tests.TestInfrastructure;
using McProxy.Tls;

namespace McProxy.Tests.Tls;

[UnitTest]
public sealed class ServerNameCacheTests
{
    [Fact]
    public void Get_SameName_ReturnsTheSameInstance()
    {
        var first = ServerNameCache.Get("cache-test.example.net");
        var second = ServerNameCache.Get("cache-test.example.net".AsSpan());

        Assert.Equal("cache-test.example.net", first);
        Assert.Same(first, second);
    }

    [Fact]
    public void TryParse_SameHelloTwice_SharesServerNameAndCommonAlpnList()
    {
        var hello = ClientHelloBuilder.Build("shared.example.net", ["h2", "http/1.1"]);

        var first = ClientHelloParser.TryParse(hello).Hello;
        var second = ClientHelloParser.TryParse(hello).Hello;

        Assert.Same(first.ServerName, second.ServerName);
        Assert.Same(first.Alpn, second.Alpn);
        Assert.Equal(["h2", "http/1.1"], second.Alpn);
    }

    [Fact]
    public void TryParse_UncommonAlpnList_IsParsedInOrder()
    {
        var hello = ClientHelloBuilder.Build("alpn.example.net", ["spdy/3", "h2", "http/1.1"]);

        Assert.Equal(["spdy/3", "h2", "http/1.1"], ClientHelloParser.TryParse(hello).Hello.Alpn);
    }
}
