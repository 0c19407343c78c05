using System.Net;
using McProxy.Firewall;
using McProxy.Model;

namespace McProxy.Tests.Firewall;

[UnitTest]
public sealed class FirewallRuleSetTests
{
    private static FirewallRuleSet Rules(params (string Type, string Value)[] rules)
        => FirewallRuleSet.Create(rules.Select((r, i) => new FirewallRule(r.Type, r.Value)), canMatchCountries: true);

    private static string? Match(FirewallRuleSet rules, string address) => rules.MatchAddress(IPAddress.Parse(address));

    [Theory]
    [InlineData("192.0.2.7", "ip")]
    [InlineData("::ffff:192.0.2.7", "ip")]
    [InlineData("192.0.2.8", null)]
    [InlineData("2001:db8::7", "ip")]
    [InlineData("2001:db8::8", null)]
    public void MatchAddress_BlockedIp_MatchesThatAddressOnly(string address, string? expected)
    {
        var rules = Rules(("ip", "192.0.2.7"), ("ip", "2001:db8::7"));

        Assert.Equal(expected, Match(rules, address));
    }

    [Theory]
    [InlineData("10.1.0.0", "cidr")]
    [InlineData("10.1.255.255", "cidr")]
    [InlineData("::ffff:10.1.2.3", "cidr")]
    [InlineData("10.0.255.255", null)]
    [InlineData("10.2.0.0", null)]
    [InlineData("172.16.0.1", "cidr")]
    [InlineData("172.23.255.255", "cidr")]
    [InlineData("172.24.0.0", null)]
    [InlineData("2001:db8:ffff:1::1", "cidr")]
    [InlineData("2001:db9::", null)]
    [InlineData("fd00::0", "cidr")]
    [InlineData("fd00::1", "cidr")]
    [InlineData("fd00::2", null)]
    public void MatchAddress_BlockedCidr_MatchesExactlyTheNetwork(string address, string? expected)
    {
        var rules = Rules(("cidr", "10.1.0.0/16"), ("cidr", "172.16.0.0/13"), ("cidr", "2001:db8::/32"), ("cidr", "fd00::/127"));

        Assert.Equal(expected, Match(rules, address));
    }

    [Fact]
    public void MatchAddress_FamiliesAreApart_AnIPv6DefaultRouteDoesNotBlockIPv4()
    {
        var v6All = Rules(("cidr", "::/0"));
        var v4All = Rules(("cidr", "0.0.0.0/0"));

        Assert.Equal("cidr", Match(v6All, "2001:db8::1"));
        Assert.Null(Match(v6All, "192.0.2.1"));
        Assert.Null(Match(v6All, "::ffff:192.0.2.1"));
        Assert.Equal("cidr", Match(v4All, "::ffff:192.0.2.1"));
        Assert.Null(Match(v4All, "::1"));
    }

    [Fact]
    public void Create_CountryWithoutGeoIp_IsLeftOutWithAnError_AndTheOtherRulesApply()
    {
        var rules = FirewallRuleSet.Create(
            [new FirewallRule("country", "CN"), new FirewallRule("ip", "192.0.2.1")],
            canMatchCountries: false);

        Assert.False(rules.HasCountries);
        Assert.False(rules.MatchCountry("CN"));
        Assert.Equal(1, rules.Count);
        Assert.Contains(rules.Errors, e => e.Contains("CN", StringComparison.Ordinal) && e.Contains("geoip_db", StringComparison.Ordinal));
        Assert.Equal("ip", Match(rules, "192.0.2.1"));
    }

    [Fact]
    public void Create_MalformedRows_AreReportedAndSkipped()
    {
        var rules = Rules(("ip", "1.2.3"), ("cidr", "10.0.0.1/8"), ("cidr", "10.0.0.0"), ("country", "Chn"), ("asn", "13335"), ("country", "cn"));

        Assert.Equal(5, rules.Errors.Count);
        Assert.Equal(1, rules.Count);
        Assert.True(rules.MatchCountry("CN"));
        Assert.Null(Match(rules, "10.0.0.1"));
    }
}
