namespace McProxy.Config;

/// <summary>What <see cref="TomlModelBuilder"/> remembers about one table it built: where it came from and where each key was set.</summary>
internal sealed class TomlTableState
{
    public TomlTableState(TomlTableState? parent, string key, TomlTableOrigin origin, int line)
    {
        Parent = parent;
        Key = key;
        Origin = origin;
        Line = line;
    }

    /// <summary>The table holding this one (for an element of an array, the table holding the array); null for the root.</summary>
    public TomlTableState? Parent { get; }

    /// <summary>This table's key in <see cref="Parent"/>.</summary>
    public string Key { get; }

    public TomlTableOrigin Origin { get; set; }

    /// <summary>The 1-based line that created or last defined the table.</summary>
    public int Line { get; set; }

    /// <summary>The 1-based line on which each key of the table was first set.</summary>
    public Dictionary<string, int> KeyLines { get; } = new(StringComparer.Ordinal);
}
