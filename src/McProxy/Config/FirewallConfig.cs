namespace McProxy.Config;

internal sealed record FirewallConfig
{
    public string GeoIpDb { get; init; } = "";

    public IReadOnlyList<string> BlockedIps { get; init; } = [];

    public IReadOnlyList<string> BlockedCidrs { get; init; } = [];

    /// <summary>ISO 3166-1 alpha-2, upper case.</summary>
    public IReadOnlyList<string> BlockedCountries { get; init; } = [];

    /// <summary>New connections per client IP per <see cref="RateWindow"/>; 0 turns the limit off.</summary>
    public int RateLimit { get; init; }

    public TimeSpan RateWindow { get; init; } = TimeSpan.FromSeconds(10);
}
