namespace McProxy.Store;

/// <summary>A row of <c>firewall_rules</c>: a <see cref="Model.FirewallRule"/> with its id; <see cref="Type"/> is "ip", "cidr" or "country".</summary>
internal sealed record StoredFirewallRule(long Id, string Type, string Value)
{
    public const string Ip = Model.FirewallRules.Ip;
    public const string Cidr = Model.FirewallRules.Cidr;
    public const string Country = Model.FirewallRules.Country;

    public Model.FirewallRule ToRule() => new(Type, Value);
}
