using McProxy.Model;
using FirewallRuleMessage = McProxy.Client.V1.FirewallRule;

namespace McProxy.Admin;

/// <summary>A firewall rule from the admin API through <see cref="FirewallRules"/>, the rules [firewall] in the config obeys.</summary>
internal static class FirewallRuleValidator
{
    /// <summary>The rule, its value normalised; throws InvalidArgument or FailedPrecondition naming the field.</summary>
    public static FirewallRule Validate(FirewallRuleMessage? rule, bool hasGeoIp)
    {
        if (rule is null)
        {
            throw AdminErrors.InvalidArgument("rule", "is required");
        }

        if (FirewallRules.Normalize(rule.Type, rule.Value, out var error) is not { } value)
        {
            throw AdminErrors.InvalidArgument("rule." + error!.Value.Field, error.Value.Message);
        }

        if (rule.Type == FirewallRules.Country && !hasGeoIp)
        {
            throw AdminErrors.FailedPrecondition("rule.type", "country rules need [firewall] geoip_db in the config");
        }

        return new FirewallRule(rule.Type, value);
    }
}
