namespace McProxy.Config;

internal sealed record LogConfig
{
    public LogLevel Level { get; init; } = LogLevel.Information;

    public LogFormat Format { get; init; } = LogFormat.Auto;

    /// <summary>The format lines are written in: <see cref="LogFormat.Auto"/> becomes text on a terminal, else JSON.</summary>
    public LogFormat FormatFor(bool outputIsTerminal) => Format switch
    {
        LogFormat.Auto => outputIsTerminal ? LogFormat.Text : LogFormat.Json,
        var chosen => chosen,
    };

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

    public static bool TryParseFormat(string text, out LogFormat format)
    {
        (var known, format) = text switch
        {
            "auto" => (true, LogFormat.Auto),
            "json" => (true, LogFormat.Json),
            "text" => (true, LogFormat.Text),
            _ => (false, LogFormat.Auto),
        };
        return known;
    }
}
