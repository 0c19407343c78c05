namespace McProxy.Config;

internal sealed record DatabaseConfig
{
    public required string Path { get; init; }
}
