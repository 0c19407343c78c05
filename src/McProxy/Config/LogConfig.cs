namespace McProxy.Config;

internal sealed record LogConfig
{
    public LogLevel Level { get; init; } = LogLevel.Information;

    public static bool TryParseLevel(string text, out LogLevel level)
    {
        level = text switch
        {
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => LogLevel.None,
        };
        return level != LogLevel.None;
    }
}
