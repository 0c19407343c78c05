namespace McProxy.Config;

internal sealed record MetricsConfig
{
    public required string Addr { get; init; }
}
