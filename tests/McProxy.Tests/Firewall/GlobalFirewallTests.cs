using System.Net;
using McProxy.Config;
using McProxy.Firewall;
using McProxy.Model;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Firewall;

[UnitTest]
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
        firewall.Update([new FirewallRule("country", "AQ")]);

        Assert.Equal(FirewallReason.Country, firewall.Check(IPAddress.Parse("198.51.100.20")));
        Assert.Equal(FirewallReason.Country, firewall.Check(IPAddress.Loopback));
        Assert.Null(firewall.Check(IPAddress.IPv6Loopback));
        Assert.Null(firewall.Check(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void ReloadGeoIpIfChanged_FileReplaced_NextLookupsAnswerFromTheNewDatabase()
    {
        var path = GeoIpDb();
        using var firewall = GlobalFirewall.Create(new FirewallConfig { GeoIpDb = path });
        firewall.Update([new FirewallRule("country", "AQ")]);
        Assert.False(firewall.ReloadGeoIpIfChanged(out var unchanged));
        Assert.Null(unchanged);

        // As geoipupdate does it: a new file in place of the old, here moving 198.51.100.0/24 from AQ to FR.
        Replace(path, new MaxMindDbWriter().Add("127.0.0.0/8", "AQ").Add("198.51.100.0/24", "FR"));

        Assert.True(firewall.ReloadGeoIpIfChanged(out var error));
        Assert.Null(error);
        Assert.Equal("FR", firewall.LookupCountry(IPAddress.Parse("198.51.100.20")));
        Assert.Null(firewall.LookupCountry(IPAddress.IPv6Loopback));
        Assert.Null(firewall.Check(IPAddress.Parse("198.51.100.20")));
        Assert.Equal(FirewallReason.Country, firewall.Check(IPAddress.Loopback));
        Assert.False(firewall.ReloadGeoIpIfChanged(out _));
    }

    [Fact]
    public void ReloadGeoIpIfChanged_BadReplacement_KeepsThePreviousDatabase_AndSaysWhyOnce()
    {
        var path = GeoIpDb();
        using var firewall = GlobalFirewall.Create(new FirewallConfig { GeoIpDb = path });
        File.WriteAllText(path, "half a download");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));

        Assert.False(firewall.ReloadGeoIpIfChanged(out var error));

        Assert.Contains(path, error, StringComparison.Ordinal);
        Assert.Equal("AQ", firewall.LookupCountry(IPAddress.Parse("198.51.100.20")));
        Assert.False(firewall.ReloadGeoIpIfChanged(out var again));
        Assert.Null(again);

        // Once a good file arrives, it is taken.
        Replace(path, new MaxMindDbWriter().Add("198.51.100.0/24", "FR"));
        Assert.True(firewall.ReloadGeoIpIfChanged(out _));
        Assert.Equal("FR", firewall.LookupCountry(IPAddress.Parse("198.51.100.20")));
    }

    [Fact]
    public void ReloadGeoIpIfChanged_WithoutGeoIp_DoesNothing()
    {
        using var firewall = GlobalFirewall.Create(new FirewallConfig());

        Assert.False(firewall.ReloadGeoIpIfChanged(out var error));
        Assert.Null(error);
        Assert.False(firewall.CanMatchCountries);
    }

    /// <summary>Writes <paramref name="writer"/>'s database over <paramref name="path"/> with a later modification time.</summary>
    private void Replace(string path, MaxMindDbWriter writer)
    {
        var written = writer.WriteTo(_directory);
        Assert.Equal(path, written);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(2));
    }

    [Fact]
    public void Create_WithoutGeoIp_CannotMatchCountries_AndIgnoresCountryRules()
    {
        using var firewall = GlobalFirewall.Create(new FirewallConfig());

        var rules = firewall.Update([new FirewallRule("country", "AQ")]);

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
        firewall.Update([new FirewallRule("ip", "192.0.2.5")]);

        Assert.Equal(FirewallReason.Ip, firewall.Check(client));
        Assert.Equal(FirewallReason.Ip, firewall.Check(client));
        firewall.Update([]);
        Assert.Null(firewall.Check(client));
        Assert.Equal(FirewallReason.Rate, firewall.Check(client));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(firewall.Check(client));
    }
}
