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
/// connection and never to established ones. The GeoIP database and the rate settings come from [firewall] in the
/// config and are fixed for the life of the server; the rules come from the store.
/// </summary>
internal sealed class GlobalFirewall : IDisposable
{
    private readonly DatabaseReader? _geoIp;
    private FirewallRuleSet _rules = FirewallRuleSet.Empty;

    public GlobalFirewall(DatabaseReader? geoIp = null, RateLimiter? rateLimiter = null)
    {
        _geoIp = geoIp;
        RateLimiter = rateLimiter;
    }

    /// <summary>True when a GeoIP database is loaded; without one, country rules are refused (left out of the rule set).</summary>
    public bool CanMatchCountries => _geoIp is not null;

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
        if (config.GeoIpDb.Length > 0)
        {
            try
            {
                // Loaded whole into memory: a Country database is a few MiB, and lookups then never touch the disk.
                geoIp = new DatabaseReader(config.GeoIpDb, FileAccessMode.Memory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDatabaseException or ArgumentException)
            {
                throw new InvalidOperationException($"[firewall] geoip_db {config.GeoIpDb}: cannot open the MaxMind database: {e.Message}", e);
            }
        }

        var limiter = config.RateLimit > 0 ? new RateLimiter(config.RateLimit, config.RateWindow, time: time) : null;
        return new GlobalFirewall(geoIp, limiter);
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
        if (_geoIp is null)
        {
            return null;
        }

        try
        {
            // As IPv4: MaxMind databases keep IPv4 under ::/96, and not every one aliases ::ffff:0:0/96 to it.
            return _geoIp.TryCountry(IpRanges.Normalize(address), out var response) ? response?.Country.IsoCode : null;
        }
        catch (InvalidDatabaseException)
        {
            // A corrupt record is an unknown country, not a dropped connection.
            return null;
        }
    }

    public void Dispose() => _geoIp?.Dispose();
}
