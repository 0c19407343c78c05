using McProxy.Model;

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

        var ips = Normalize(section, "blocked_ips", FirewallRules.Ip, blockedIps);
        var cidrs = Normalize(section, "blocked_cidrs", FirewallRules.Cidr, blockedCidrs);
        var countries = Normalize(section, "blocked_countries", FirewallRules.Country, blockedCountries);
        if (TimeoutRules.Check("rate_window", rateWindow) is { } windowError)
        {
            section.Error(windowError.Field, windowError.Message);
        }

        if (blockedCountries.Count > 0 && geoIpDb.Length == 0)
        {
            section.Error("geoip_db", "is required when blocked_countries is set");
        }

        var geoIpPath = files.ResolveOrKeep(geoIpDb);
        if (geoIpPath.Length > RouteRules.MaxPathLength)
        {
            section.Error("geoip_db", $"is {geoIpPath.Length} characters long; a path is at most {RouteRules.MaxPathLength}");
        }
        else if (geoIpPath.Length > 0)
        {
            files.GeoIpDatabase(section, "geoip_db", geoIpPath);
        }

        return new FirewallConfig
        {
            GeoIpDb = geoIpPath,
            BlockedIps = ips,
            BlockedCidrs = cidrs,
            BlockedCountries = countries,
            RateLimit = rateLimit,
            RateWindow = rateWindow,
        };
    }

    /// <summary>Each entry of a block list through <see cref="FirewallRules"/>, as the admin API checks a rule; errors name the entry.</summary>
    private static List<string> Normalize(TomlSection section, string key, string type, IReadOnlyList<string> values)
    {
        var normalized = new List<string>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            if (FirewallRules.Normalize(type, values[i], out var error) is { } value)
            {
                normalized.Add(value);
            }
            else if (error is { } e)
            {
                section.Error($"{key}[{i}]", e.Message);
            }
        }

        return normalized;
    }
}
