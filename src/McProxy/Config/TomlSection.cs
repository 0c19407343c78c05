using McProxy.Net;
using Tomlyn.Model;

namespace McProxy.Config;

/// <summary>
/// Reads one TOML table with typed getters. Every problem goes into a shared error list, prefixed with the
/// section's path, so the loader can report all of them at once; keys never read are reported as unknown.
/// </summary>
internal sealed class TomlSection
{
    private readonly TomlTable _table;
    private readonly List<string> _errors;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public TomlSection(TomlTable table, string path, List<string> errors)
    {
        _table = table;
        Path = path;
        _errors = errors;
    }

    public string Path { get; }

    public void Error(string key, string message) => _errors.Add($"{Qualify(key)}: {message}");

    public string Qualify(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public bool Has(string key) => _table.ContainsKey(key);

    /// <summary>Whether the key holds an array (of anything): an empty one is said to be empty, a wrong type is reported by the getter.</summary>
    public bool HasArray(string key) => _table.TryGetValue(key, out var value) && value is TomlArray;

    public string? GetString(string key, bool required = false)
    {
        _read.Add(key);
        if (!_table.TryGetValue(key, out var value))
        {
            if (required)
            {
                Error(key, "is required");
            }

            return null;
        }

        if (value is string s)
        {
            if (required && s.Length == 0)
            {
                Error(key, "must not be empty");
            }

            return s;
        }

        Error(key, $"must be a string, not {Describe(value)}");
        return null;
    }

    public bool GetBool(string key)
    {
        _read.Add(key);
        if (!_table.TryGetValue(key, out var value))
        {
            return false;
        }

        if (value is bool b)
        {
            return b;
        }

        Error(key, $"must be true or false, not {Describe(value)}");
        return false;
    }

    public int GetInt(string key, int defaultValue, int min, int max)
    {
        _read.Add(key);
        if (!_table.TryGetValue(key, out var value))
        {
            return defaultValue;
        }

        if (value is long l && l >= min && l <= max)
        {
            return (int)l;
        }

        Error(key, $"must be an integer from {min} to {max}, not {Describe(value)}");
        return defaultValue;
    }

    public TimeSpan GetDuration(string key, TimeSpan defaultValue)
    {
        var text = GetString(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (!Duration.TryParse(text, out var duration) || duration <= TimeSpan.Zero)
        {
            Error(key, $"{RuleText.Quote(text)} is not a positive duration such as \"500ms\", \"10s\" or \"5m\"");
            return defaultValue;
        }

        return duration;
    }

    public IReadOnlyList<string> GetStringArray(string key)
    {
        _read.Add(key);
        if (!_table.TryGetValue(key, out var value))
        {
            return [];
        }

        if (value is not TomlArray array)
        {
            Error(key, $"must be an array of strings, not {Describe(value)}");
            return [];
        }

        var result = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is string s)
            {
                result.Add(s);
            }
            else
            {
                Error($"{key}[{i}]", $"must be a string, not {Describe(array[i])}");
            }
        }

        return result;
    }

    public TomlSection? GetTable(string key)
    {
        _read.Add(key);
        if (!_table.TryGetValue(key, out var value))
        {
            return null;
        }

        if (value is TomlTable table)
        {
            return new TomlSection(table, Qualify(key), _errors);
        }

        Error(key, $"must be a table [{key}], not {Describe(value)}");
        return null;
    }

    /// <summary>An array of tables; each element's path is named by <paramref name="nameKey"/> when it has one.</summary>
    public IReadOnlyList<TomlSection> GetTableArray(string key, string nameKey)
    {
        _read.Add(key);
        if (!_table.TryGetValue(key, out var value))
        {
            return [];
        }

        if (value is not TomlTableArray array)
        {
            Error(key, $"must be an array of tables [[{Qualify(key)}]], not {Describe(value)}");
            return [];
        }

        var result = new List<TomlSection>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var element = array[i];
            var name = element.TryGetValue(nameKey, out var n) && n is string s ? $" ({RuleText.Clip(s)})" : "";
            result.Add(new TomlSection(element, $"{Qualify(key)}[{i}]{name}", _errors));
        }

        return result;
    }

    /// <summary>Call after every known key was read: anything left is a typo or a key from another version.</summary>
    public void ReportUnknownKeys()
    {
        foreach (var entry in _table)
        {
            if (!_read.Contains(entry.Key))
            {
                Error(entry.Key, "unknown key");
            }
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => $"the string {RuleText.Quote(s)}",
        bool b => b ? "true" : "false",
        long l => $"the integer {l}",
        double d => $"the number {d}",
        TomlArray => "an array",
        TomlTable => "a table",
        TomlTableArray => "an array of tables",
        _ => value.GetType().Name,
    };
}
