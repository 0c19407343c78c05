namespace McProxy.Model;

/// <summary>A firewall rule, checked and normalised by <see cref="FirewallRules"/>: its type ("ip", "cidr" or "country") and value.</summary>
internal sealed record FirewallRule(string Type, string Value);
