using McProxy.Tests.TestInfrastructure;
using McProxy.Tls;

namespace McProxy.Tests.Tls;

[UnitTest]
public sealed class ServerNameCacheTests
{
    [Fact]
    public void Get_SameName_ReturnsTheSameInstance()
    {
        var first = ServerNameCache.Shared.Get("cache-test.example.net");
        var second = ServerNameCache.Shared.Get("cache-test.example.net".AsSpan());

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

    [Fact]
    public void Get_PastItsCapacity_KeepsNoMoreNames_ButStillAnswersEveryName()
    {
        var cache = new ServerNameCache(capacity: 8);
        var kept = Enumerable.Range(0, 8).Select(i => cache.Get($"kept-{i}.example.net")).ToList();

        // A client making up names: each is answered, none is kept, and the names already kept stay.
        for (var i = 0; i < 1000; i++)
        {
            var name = $"made-up-{i}.example.net";
            Assert.Equal(name, cache.Get(name));
        }

        Assert.Equal(8, cache.Count);
        Assert.NotSame(cache.Get("made-up-1.example.net"), cache.Get("made-up-1.example.net"));
        Assert.All(kept, name => Assert.Same(name, cache.Get(name.AsSpan())));
    }
}
