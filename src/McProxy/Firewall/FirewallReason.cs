namespace McProxy.Firewall;

/// <summary>Why a connection was refused before routing: the <c>reason</c> label of mcproxy_firewall_blocks_total.</summary>
internal static class FirewallReason
{
    public const string Ip = "ip";
    public const string Cidr = "cidr";
    public const string Country = "country";
    public const string Rate = "rate";
    public const string UntrustedProxy = "untrusted_proxy";
}
