namespace McProxy.Config;

/// <summary>What <see cref="TomlModelBuilder"/> remembers about one table it built: where it came from and where each key was set.</summary>
internal sealed class TomlTableState
{
    public TomlTableState(string path, TomlTableOrigin origin, int line)
    {
        Path = path;
        Origin = origin;
        Line = line;
    }

    /// <summary>The table's dotted name as written in a header, e.g. <c>listeners.routes</c>; empty for the root.</summary>
    public string Path { get; }

    public TomlTableOrigin Origin { get; set; }

    /// <summary>The 1-based line that created or last defined the table.</summary>
    public int Line { get; set; }

    /// <summary>The 1-based line on which each key of the table was first set.</summary>
    public Dictionary<string, int> KeyLines { get; } = new(StringComparer.Ordinal);
}
