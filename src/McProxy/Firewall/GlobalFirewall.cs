using System.Net;
using MaxMind.Db;
using MaxMind.GeoIP2;
using McProxy.Config;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Firewall;

/// <summary>
/// Admission on the client address, before a byte of TLS is read, for every listener: blocked IPs, blocked CIDRs,
/// blocked countries (MaxMind GeoIP2/GeoLite2 Country database) and a per-IP connection rate. The block lists are an
/// immutable <see cref="FirewallRuleSet"/> swapped atomically by <see cref="Update"/>, so a reload applies to the next
/// connection and never to established ones. The rate settings come from [firewall] in the config and are fixed for
/// the life of the server; the rules come from the store; the GeoIP database is re-read when its file changes
/// (<see cref="ReloadGeoIpIfChanged"/>, which the server's <see cref="FileWatcher"/> runs at each tick), as
/// geoipupdate replaces it every week. Lookups read the database from memory.
/// </summary>
internal sealed class GlobalFirewall : IDisposable
{
    private readonly WatchedFile<DatabaseReader>? _geoIp;
    private FirewallRuleSet _rules = FirewallRuleSet.Empty;

    private GlobalFirewall(WatchedFile<DatabaseReader>? geoIp, RateLimiter? rateLimiter)
    {
        _geoIp = geoIp;
        RateLimiter = rateLimiter;
    }

    /// <summary>A firewall without a GeoIP database or a rate limit, whose rules come from <see cref="Update"/>.</summary>
    public GlobalFirewall()
        : this(null, null)
    {
    }

    /// <summary>True when a GeoIP database is loaded; without one, country rules are refused (left out of the rule set).</summary>
    public bool CanMatchCountries => _geoIp is not null;

    /// <summary>When the GeoIP database in use was built (its metadata), or null without one.</summary>
    public DateTime? GeoIpBuildDate => _geoIp?.Current?.Metadata.BuildDate;

    /// <summary>The rules in force now.</summary>
    public FirewallRuleSet Rules => Volatile.Read(ref _rules);

    /// <summary>The per-IP limiter, or null when rate_limit is 0.</summary>
    public RateLimiter? RateLimiter { get; }

    /// <summary>
    /// Opens the GeoIP database named by <c>geoip_db</c> (when set) and sets up the rate limit.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database cannot be opened or is not a MaxMind DB.</exception>
    public static GlobalFirewall Create(FirewallConfig config, TimeProvider? time = null)
    {
        WatchedFile<DatabaseReader>? geoIp = null;
        if (config.GeoIpDb.Length > 0)
        {
            var path = config.GeoIpDb;
            geoIp = WatchedFile<DatabaseReader>.TryOpen(path, (out string? why) => OpenGeoIp(path, out why), out var reason)
                ?? throw new InvalidOperationException(GeoIpError(config.GeoIpDb, reason));
        }

        var limiter = config.RateLimit > 0 ? new RateLimiter(config.RateLimit, config.RateWindow, time: time) : null;
        return new GlobalFirewall(geoIp, limiter);
    }

    /// <summary>
    /// Opens geoip_db again when its file has changed (size or modification time) since it was last read, and swaps
    /// the new database in for the next lookup. True when a new database is in force; false when nothing changed
    /// or the new file cannot be opened, in which case <paramref name="error"/> says why and the previous database
    /// stays in force (a half-written or bad download never turns country rules off). A file that failed is not
    /// retried until it changes again. A database read into memory holds no file or handle, so the replaced one is
    /// left to the garbage collector. Called by the <see cref="FileWatcher"/>, never on a connection's path.
    /// </summary>
    public bool ReloadGeoIpIfChanged(out string? error)
    {
        error = null;
        if (_geoIp is null)
        {
            return false;
        }

        var reloaded = _geoIp.Refresh(out var reason);
        error = reason is null ? null : GeoIpError(_geoIp.Path, reason);
        return reloaded;
    }

    private static DatabaseReader? OpenGeoIp(string path, out string? reason)
    {
        // Read whole into memory through FileRules (regular file only, size-capped): lookups never touch the disk.
        var reader = FileRules.OpenGeoIp(path, "geoip_db", out var error);
        reason = error?.Message;
        return reader;
    }

    private static string GeoIpError(string path, string? reason) => $"[firewall] geoip_db {path}: cannot open the MaxMind database: {reason}";

    /// <summary>Replaces the rules atomically with those in <paramref name="rules"/>; returns the new set (see its Errors).</summary>
    public FirewallRuleSet Update(IEnumerable<FirewallRule> rules)
    {
        var next = FirewallRuleSet.Create(rules, CanMatchCountries);
        Volatile.Write(ref _rules, next);
        return next;
    }

    /// <summary>
    /// The reason (<see cref="FirewallReason"/>) the client at <paramref name="client"/> is refused, or null to admit
    /// it. Rules are checked before the rate, so a blocked address uses no rate-limiter slot.
    /// </summary>
    public string? Check(IPAddress client)
    {
        var rules = Rules;
        if (rules.MatchAddress(client) is { } reason)
        {
            return reason;
        }

        if (rules.HasCountries && rules.MatchCountry(LookupCountry(client)))
        {
            return FirewallReason.Country;
        }

        if (RateLimiter is { } limiter && !limiter.TryAcquire(client))
        {
            return FirewallReason.Rate;
        }

        return null;
    }

    /// <summary>The ISO 3166-1 alpha-2 code of <paramref name="address"/>'s country, or null when unknown.</summary>
    public string? LookupCountry(IPAddress address)
    {
        if (_geoIp?.Current is not { } geoIp)
        {
            return null;
        }

        try
        {
            // As IPv4: MaxMind databases keep IPv4 under ::/96, and not every one aliases ::ffff:0:0/96 to it.
            return geoIp.TryCountry(IpRanges.Normalize(address), out var response) ? response?.Country.IsoCode : null;
        }
        catch (InvalidDatabaseException)
        {
            // A corrupt record is an unknown country, not a dropped connection.
            return null;
        }
    }

    public void Dispose() => _geoIp?.Current?.Dispose();
}
