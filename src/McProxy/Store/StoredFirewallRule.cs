namespace McProxy.Store;

/// <summary>A firewall rule row; <see cref="Type"/> is "ip", "cidr" or "country".</summary>
internal sealed record StoredFirewallRule(long Id, string Type, string Value)
{
    public const string Ip = "ip";
    public const string Cidr = "cidr";
    public const string Country = "country";
}
