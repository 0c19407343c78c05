using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Firewall;

/// <summary>
/// The block lists as of one load of the store: immutable, so a connection checks one consistent set while a
/// reload builds the next. Blocked IPs are a hash set; CIDRs are grouped by prefix length, one hash set of network
/// addresses per length and family, so a check costs one lookup per distinct prefix length, however many CIDRs.
/// IPv4 and IPv6 are kept apart: "::/0" does not block IPv4 clients; an IPv4-mapped IPv6 client is IPv4.
/// </summary>
internal sealed class FirewallRuleSet
{
    public static readonly FirewallRuleSet Empty = new([], [], [], [], [], 0);

    private readonly FrozenSet<UInt128> _ips;
    private readonly (int Prefix, FrozenSet<uint> Networks)[] _v4Cidrs;
    private readonly (int Prefix, FrozenSet<UInt128> Networks)[] _v6Cidrs;
    private readonly FrozenSet<string> _countries;

    private FirewallRuleSet(
        IEnumerable<UInt128> ips,
        IEnumerable<(int Prefix, uint Network)> v4Cidrs,
        IEnumerable<(int Prefix, UInt128 Network)> v6Cidrs,
        IEnumerable<string> countries,
        IReadOnlyList<string> errors,
        int count)
    {
        _ips = ips.ToFrozenSet();
        // Longest prefix first: the most specific rule is the one a block is attributed to in the logs.
        _v4Cidrs = [.. v4Cidrs.GroupBy(c => c.Prefix).OrderByDescending(g => g.Key).Select(g => (g.Key, g.Select(c => c.Network).ToFrozenSet()))];
        _v6Cidrs = [.. v6Cidrs.GroupBy(c => c.Prefix).OrderByDescending(g => g.Key).Select(g => (g.Key, g.Select(c => c.Network).ToFrozenSet()))];
        _countries = countries.ToFrozenSet(StringComparer.Ordinal);
        Errors = errors;
        Count = count;
    }

    /// <summary>The rules in force.</summary>
    public int Count { get; }

    /// <summary>Rules that were left out, each with why (unparsable value, or a country rule without a GeoIP database).</summary>
    public IReadOnlyList<string> Errors { get; }

    public bool HasCountries => _countries.Count > 0;

    /// <summary>
    /// Builds a rule set from the rules as stored. A row that cannot be used is left out and reported in
    /// <see cref="Errors"/>; the rest still apply, so one bad row never disarms the firewall.
    /// </summary>
    public static FirewallRuleSet Create(IEnumerable<FirewallRule> rules, bool canMatchCountries)
    {
        var ips = new List<UInt128>();
        var v4 = new List<(int, uint)>();
        var v6 = new List<(int, UInt128)>();
        var countries = new List<string>();
        var errors = new List<string>();
        foreach (var rule in rules)
        {
            switch (rule.Type)
            {
                case FirewallRules.Ip when IpRanges.TryParseAddress(rule.Value, out var address):
                    ips.Add(IpKey.Get(address));
                    break;
                case FirewallRules.Cidr when IpRanges.TryParseCidr(rule.Value, out var network):
                    if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork && IpKey.TryGetIPv4(network.BaseAddress, out var v4Network))
                    {
                        v4.Add((network.PrefixLength, v4Network));
                    }
                    else
                    {
                        v6.Add((network.PrefixLength, IpKey.GetIPv6(network.BaseAddress)));
                    }

                    break;
                case FirewallRules.Country when IpRanges.TryParseCountry(rule.Value, out var country):
                    if (canMatchCountries)
                    {
                        countries.Add(country);
                    }
                    else
                    {
                        errors.Add($"country rule \"{rule.Value}\" ignored: no GeoIP database ([firewall] geoip_db) is configured");
                    }

                    break;
                default:
                    errors.Add($"{rule.Type} rule \"{rule.Value}\" ignored: not a valid {rule.Type} value");
                    break;
            }
        }

        return new FirewallRuleSet(ips, v4, v6, countries, errors, ips.Count + v4.Count + v6.Count + countries.Count);
    }

    /// <summary>The reason <paramref name="address"/> is blocked by an IP or CIDR rule, or null.</summary>
    public string? MatchAddress(IPAddress address)
    {
        if (_ips.Count > 0 && _ips.Contains(IpKey.Get(address)))
        {
            return FirewallReason.Ip;
        }

        if (IpKey.TryGetIPv4(address, out var v4))
        {
            foreach (var (prefix, networks) in _v4Cidrs)
            {
                if (networks.Contains(IpKey.MaskIPv4(v4, prefix)))
                {
                    return FirewallReason.Cidr;
                }
            }
        }
        else
        {
            var v6 = IpKey.GetIPv6(address);
            foreach (var (prefix, networks) in _v6Cidrs)
            {
                if (networks.Contains(IpKey.MaskIPv6(v6, prefix)))
                {
                    return FirewallReason.Cidr;
                }
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="isoCode"/> (upper case) is a blocked country.</summary>
    public bool MatchCountry(string? isoCode) => isoCode is not null && _countries.Contains(isoCode);
}
