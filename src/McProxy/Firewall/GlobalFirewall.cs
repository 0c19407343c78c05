using System.Diagnostics.CodeAnalysis;
using System.Net;
using MaxMind.Db;
using MaxMind.GeoIP2;
using McProxy.Config;
using McProxy.Store;

namespace McProxy.Firewall;

/// <summary>
/// Admission on the client address, before a byte of TLS is read, for every listener: blocked IPs, blocked CIDRs,
/// blocked countries (MaxMind GeoIP2/GeoLite2 Country database) and a per-IP connection rate. The block lists are an
/// immutable <see cref="FirewallRuleSet"/> swapped atomically by <see cref="Update"/>, so a reload applies to the next
/// connection and never to established ones. The rate settings come from [firewall] in the config and are fixed for
/// the life of the server; the rules come from the store; the GeoIP database is re-read when its file changes
/// (<see cref="ReloadGeoIpIfChanged"/>), as geoipupdate replaces it every week.
/// </summary>
internal sealed class GlobalFirewall : IDisposable
{
    private readonly string _geoIpPath;
    private DatabaseReader? _geoIp;
    private FileStamp _geoIpStamp;
    private FirewallRuleSet _rules = FirewallRuleSet.Empty;

    public GlobalFirewall(DatabaseReader? geoIp = null, RateLimiter? rateLimiter = null, string geoIpPath = "")
    {
        _geoIp = geoIp;
        _geoIpPath = geoIpPath;
        _geoIpStamp = geoIpPath.Length > 0 ? FileStamp.Of(geoIpPath) : default;
        RateLimiter = rateLimiter;
    }

    /// <summary>True when a GeoIP database is loaded; without one, country rules are refused (left out of the rule set).</summary>
    public bool CanMatchCountries => Volatile.Read(ref _geoIp) is not null;

    /// <summary>When the GeoIP database in use was built (its metadata), or null without one.</summary>
    public DateTime? GeoIpBuildDate => Volatile.Read(ref _geoIp)?.Metadata.BuildDate;

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
        DatabaseReader? geoIp = null;
        if (config.GeoIpDb.Length > 0 && !TryOpenGeoIp(config.GeoIpDb, out geoIp, out var error))
        {
            throw new InvalidOperationException(error);
        }

        var limiter = config.RateLimit > 0 ? new RateLimiter(config.RateLimit, config.RateWindow, time: time) : null;
        return new GlobalFirewall(geoIp, limiter, config.GeoIpDb);
    }

    /// <summary>
    /// Opens geoip_db again when its file has changed (size or modification time) since it was last read, and swaps
    /// the new database in for the next lookup. True when a new database is in force; false when nothing changed
    /// or the new file cannot be opened, in which case <paramref name="error"/> says why and the previous database
    /// stays in force (a half-written or bad download never turns country rules off). A file that failed is not
    /// retried until it changes again.
    /// </summary>
    public bool ReloadGeoIpIfChanged(out string? error)
    {
        error = null;
        if (_geoIpPath.Length == 0 || Volatile.Read(ref _geoIp) is null)
        {
            return false;
        }

        var stamp = FileStamp.Of(_geoIpPath);
        if (stamp == _geoIpStamp)
        {
            return false;
        }

        _geoIpStamp = stamp;
        if (!TryOpenGeoIp(_geoIpPath, out var reader, out error))
        {
            return false;
        }

        // The previous reader is left to the garbage collector, not disposed: a lookup may be using it right now,
        // and a database read into memory holds no file or handle.
        Volatile.Write(ref _geoIp, reader);
        return true;
    }

    private static bool TryOpenGeoIp(string path, [NotNullWhen(true)] out DatabaseReader? reader, out string? error)
    {
        try
        {
            // Loaded whole into memory: a Country database is a few MiB, and lookups then never touch the disk.
            reader = new DatabaseReader(path, FileAccessMode.Memory);
            error = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDatabaseException or ArgumentException)
        {
            reader = null;
            error = $"[firewall] geoip_db {path}: cannot open the MaxMind database: {e.Message}";
            return false;
        }
    }

    /// <summary>Replaces the rules atomically with those in <paramref name="rules"/>; returns the new set (see its Errors).</summary>
    public FirewallRuleSet Update(IEnumerable<StoredFirewallRule> rules)
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
        if (Volatile.Read(ref _geoIp) is not { } geoIp)
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

    public void Dispose() => Volatile.Read(ref _geoIp)?.Dispose();
}
