using McProxy.Http.Policies;
using McProxy.Model;
using McProxy.Routing;

namespace McProxy.Tests.Http;

[UnitTest]
public sealed class L7PolicyEvaluatorTests
{
    private static L7Policy Policy(string type, string value) => new(type, value);

    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = dictionary.TryGetValue(name, out var existing) ? Microsoft.Extensions.Primitives.StringValues.Concat(existing, value) : new Microsoft.Extensions.Primitives.StringValues(value);
        }

        return dictionary;
    }

    [Fact]
    public void NoPolicies_LetsEverythingThrough()
        => Assert.Null(L7PolicyEvaluator.FirstMatch([], Headers(("User-Agent", "GPTBot/1.0"))));

    [Theory]
    [InlineData("Mozilla/5.0 (compatible; GPTBot/1.0)")]
    [InlineData("gptbot")]
    [InlineData("xxGPTBOTxx")]
    public void BlockUserAgent_MatchesACaseInsensitiveSubstring(string userAgent)
    {
        var policy = Policy("block_user_agent", "GPTBot");
        Assert.Same(policy, L7PolicyEvaluator.FirstMatch([policy], Headers(("User-Agent", userAgent))));
    }

    [Fact]
    public void BlockUserAgent_LetsOtherAgentsAndRequestsWithoutOneThrough()
    {
        L7Policy[] policies = [Policy("block_user_agent", "GPTBot")];

        Assert.Null(L7PolicyEvaluator.FirstMatch(policies, Headers(("User-Agent", "curl/8.5.0"))));
        Assert.Null(L7PolicyEvaluator.FirstMatch(policies, Headers()));
    }

    [Fact]
    public void RequireHeader_BlocksWhenAbsent_NameCaseInsensitive()
    {
        var policy = Policy("require_header", "X-Api-Key");

        Assert.Same(policy, L7PolicyEvaluator.FirstMatch([policy], Headers(("User-Agent", "curl"))));
        Assert.Null(L7PolicyEvaluator.FirstMatch([policy], Headers(("x-api-key", "secret"))));
        Assert.Null(L7PolicyEvaluator.FirstMatch([policy], Headers(("X-API-KEY", ""))));
    }

    [Fact]
    public void SeveralRules_TheFirstMatchWins()
    {
        var requireKey = Policy("require_header", "X-Api-Key");
        var blockBot = Policy("block_user_agent", "bot");
        L7Policy[] policies = [requireKey, blockBot];

        Assert.Same(requireKey, L7PolicyEvaluator.FirstMatch(policies, Headers(("User-Agent", "bot"))));
        Assert.Same(blockBot, L7PolicyEvaluator.FirstMatch(policies, Headers(("User-Agent", "bot"), ("X-Api-Key", "k"))));
        Assert.Null(L7PolicyEvaluator.FirstMatch(policies, Headers(("User-Agent", "human"), ("X-Api-Key", "k"))));
    }

    [Fact]
    public void PolicyTable_IsPerHostname_CaseInsensitive_AndImmutable()
    {
        var table = L7PolicyTable.Create([KeyValuePair.Create("a.example.net", (IEnumerable<L7Policy>)[Policy("require_header", "X")])]);
        var changed = table.With("b.example.net", [Policy("block_user_agent", "bot")]);
        var removed = changed.Without("A.EXAMPLE.NET");

        Assert.Single(table.For("A.Example.Net"));
        Assert.Empty(table.For("b.example.net"));
        Assert.Equal(2, changed.Count);
        Assert.Empty(removed.For("a.example.net"));
        Assert.Single(removed.For("b.example.net"));
    }
}
