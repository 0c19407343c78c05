using McProxy.Client.V1;
using McProxy.Config;
using McProxy.Store;

namespace McProxy.Admin;

/// <summary>Strict parsing of a firewall rule from the admin API, with the same rules as [firewall] in the config.</summary>
internal static class FirewallRuleValidator
{
    /// <summary>The rule's type and normalised value; throws InvalidArgument or FailedPrecondition naming the field.</summary>
    public static (string Type, string Value) Validate(FirewallRule? rule, bool hasGeoIp)
    {
        if (rule is null)
        {
            throw AdminErrors.InvalidArgument("rule", "is required");
        }

        var value = rule.Value.Trim();
        if (value.Length == 0)
        {
            throw AdminErrors.InvalidArgument("rule.value", "is required");
        }

        switch (rule.Type)
        {
            case StoredFirewallRule.Ip:
                if (!IpRanges.TryParseAddress(value, out var address))
                {
                    throw AdminErrors.InvalidArgument("rule.value", $"\"{value}\" is not an IP address");
                }

                return (StoredFirewallRule.Ip, address.ToString());
            case StoredFirewallRule.Cidr:
                if (!IpRanges.TryParseCidr(value, out var network))
                {
                    throw AdminErrors.InvalidArgument("rule.value", $"\"{value}\" is not a CIDR such as \"203.0.113.0/24\" (host bits must be zero)");
                }

                return (StoredFirewallRule.Cidr, network.ToString());
            case StoredFirewallRule.Country:
                if (!IpRanges.TryParseCountry(value, out var country))
                {
                    throw AdminErrors.InvalidArgument("rule.value", $"\"{value}\" is not an ISO 3166-1 alpha-2 country code such as \"CN\"");
                }

                if (!hasGeoIp)
                {
                    throw AdminErrors.FailedPrecondition("rule.type", "country rules need [firewall] geoip_db in the config");
                }

                return (StoredFirewallRule.Country, country);
            default:
                throw AdminErrors.InvalidArgument("rule.type", $"\"{rule.Type}\" is not \"ip\", \"cidr\" or \"country\"");
        }
    }
}
