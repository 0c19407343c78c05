namespace McProxy.Store;

/// <summary>A firewall rule row; <see cref="Type"/> is "ip", "cidr" or "country".</summary>
internal sealed record StoredFirewallRule(long Id, string Type, string Value)
{
    public const string Ip = Model.FirewallRules.Ip;
    public const string Cidr = Model.FirewallRules.Cidr;
    public const string Country = Model.FirewallRules.Country;
}
