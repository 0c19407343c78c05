using System.Net;
using McProxy.Config;
using McProxy.Firewall;
using McProxy.Store;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Firewall;

public sealed class GlobalFirewallTests : IDisposable
{
    private readonly string _directory = TestProxy.CreateTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string GeoIpDb() => new MaxMindDbWriter()
        .Add("127.0.0.0/8", "AQ")
        .Add("::1/128", "NZ")
        .Add("198.51.100.0/24", "AQ")
        .WriteTo(_directory);

    [Fact]
    public void LookupCountry_WithAMaxMindDatabase_AnswersFromIt()
    {
        using var firewall = GlobalFirewall.Create(new FirewallConfig { GeoIpDb = GeoIpDb() });

        Assert.True(firewall.CanMatchCountries);
        Assert.Equal("AQ", firewall.LookupCountry(IPAddress.Loopback));
        Assert.Equal("AQ", firewall.LookupCountry(IPAddress.Parse("127.200.1.1")));
        Assert.Equal("AQ", firewall.LookupCountry(IPAddress.Parse("::ffff:198.51.100.9")));
        Assert.Equal("NZ", firewall.LookupCountry(IPAddress.IPv6Loopback));
        Assert.Null(firewall.LookupCountry(IPAddress.Parse("192.0.2.1")));
        Assert.Null(firewall.LookupCountry(IPAddress.Parse("::2")));
    }

    [Fact]
    public void Check_BlockedCountry_RefusesItsAddressesOnly()
    {
        using var firewall = GlobalFirewall.Create(new FirewallConfig { GeoIpDb = GeoIpDb() });
        firewall.Update([new StoredFirewallRule(1, "country", "AQ")]);

        Assert.Equal(FirewallReason.Country, firewall.Check(IPAddress.Parse("198.51.100.20")));
        Assert.Equal(FirewallReason.Country, firewall.Check(IPAddress.Loopback));
        Assert.Null(firewall.Check(IPAddress.IPv6Loopback));
        Assert.Null(firewall.Check(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Create_WithoutGeoIp_CannotMatchCountries_AndIgnoresCountryRules()
    {
        using var firewall = GlobalFirewall.Create(new FirewallConfig());

        var rules = firewall.Update([new StoredFirewallRule(1, "country", "AQ")]);

        Assert.False(firewall.CanMatchCountries);
        Assert.Single(rules.Errors);
        Assert.Null(firewall.Check(IPAddress.Loopback));
    }

    [Fact]
    public void Create_GeoIpFileIsNotAMaxMindDatabase_FailsNamingTheKey()
    {
        var path = Path.Combine(_directory, "garbage.mmdb");
        File.WriteAllText(path, "not a database");

        var error = Assert.Throws<InvalidOperationException>(() => GlobalFirewall.Create(new FirewallConfig { GeoIpDb = path }));

        Assert.Contains("geoip_db", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_RulesBeforeRate_ABlockedAddressUsesNoRateSlot_AndUpdateSwapsTheRules()
    {
        var time = new ManualTimeProvider();
        using var firewall = GlobalFirewall.Create(new FirewallConfig { RateLimit = 1, RateWindow = TimeSpan.FromSeconds(10) }, time);
        var client = IPAddress.Parse("192.0.2.5");
        firewall.Update([new StoredFirewallRule(1, "ip", "192.0.2.5")]);

        Assert.Equal(FirewallReason.Ip, firewall.Check(client));
        Assert.Equal(FirewallReason.Ip, firewall.Check(client));
        firewall.Update([]);
        Assert.Null(firewall.Check(client));
        Assert.Equal(FirewallReason.Rate, firewall.Check(client));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(firewall.Check(client));
    }
}
