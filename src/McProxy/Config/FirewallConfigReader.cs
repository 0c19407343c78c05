namespace McProxy.Config;

/// <summary>Reads and validates [firewall].</summary>
internal static class FirewallConfigReader
{
    public static FirewallConfig Read(TomlSection root, FileChecker files)
    {
        var section = root.GetTable("firewall");
        if (section is null)
        {
            return new FirewallConfig();
        }

        var geoIpDb = section.GetString("geoip_db") ?? "";
        var blockedIps = section.GetStringArray("blocked_ips");
        var blockedCidrs = section.GetStringArray("blocked_cidrs");
        var blockedCountries = section.GetStringArray("blocked_countries");
        var rateLimit = section.GetInt("rate_limit", 0, 0, int.MaxValue);
        var rateWindow = section.GetDuration("rate_window", TimeSpan.FromSeconds(10));
        section.ReportUnknownKeys();

        var ips = new List<string>(blockedIps.Count);
        for (var i = 0; i < blockedIps.Count; i++)
        {
            if (IpRanges.TryParseAddress(blockedIps[i], out var address))
            {
                ips.Add(address.ToString());
            }
            else
            {
                section.Error($"blocked_ips[{i}]", $"\"{blockedIps[i]}\" is not an IP address");
            }
        }

        var cidrs = new List<string>(blockedCidrs.Count);
        for (var i = 0; i < blockedCidrs.Count; i++)
        {
            if (IpRanges.TryParseCidr(blockedCidrs[i], out var network))
            {
                cidrs.Add(network.ToString());
            }
            else
            {
                section.Error($"blocked_cidrs[{i}]", $"\"{blockedCidrs[i]}\" is not a CIDR such as \"203.0.113.0/24\" or \"2001:db8::/32\" (host bits must be zero)");
            }
        }

        var countries = new List<string>(blockedCountries.Count);
        for (var i = 0; i < blockedCountries.Count; i++)
        {
            if (IpRanges.TryParseCountry(blockedCountries[i], out var code))
            {
                countries.Add(code);
            }
            else
            {
                section.Error($"blocked_countries[{i}]", $"\"{blockedCountries[i]}\" is not an ISO 3166-1 alpha-2 country code such as \"CN\"");
            }
        }

        if (blockedCountries.Count > 0 && geoIpDb.Length == 0)
        {
            section.Error("geoip_db", "is required when blocked_countries is set");
        }

        return new FirewallConfig
        {
            GeoIpDb = files.Check(section, "geoip_db", geoIpDb),
            BlockedIps = ips,
            BlockedCidrs = cidrs,
            BlockedCountries = countries,
            RateLimit = rateLimit,
            RateWindow = rateWindow,
        };
    }
}
