using System.Text;

namespace McProxy.Net;

/// <summary>
/// How a rule quotes a value back. At most <see cref="MaxQuoted"/> characters of it, control characters escaped: a
/// hostile 1 MB value must not come back whole in a gRPC status or an error list, and a CR or NUL must not end up raw in
/// a terminal or a log line.
/// </summary>
internal static class RuleText
{
    /// <summary>Enough to recognise any value an operator would write; anything longer is shown by its start and length.</summary>
    public const int MaxQuoted = 100;

    /// <summary>The value in double quotes; a longer one is cut with an ellipsis and its length said.</summary>
    public static string Quote(string? value)
    {
        value ??= "";
        var quoted = $"\"{Clip(value)}\"";
        return value.Length > MaxQuoted ? $"{quoted} ({value.Length} characters)" : quoted;
    }

    /// <summary>At most <see cref="MaxQuoted"/> characters of the value, cut with an ellipsis, quotes, backslashes and control characters escaped.</summary>
    public static string Clip(string value)
    {
        var shown = value.Length > MaxQuoted ? value.AsSpan(0, MaxQuoted) : value.AsSpan();
        var text = new StringBuilder(shown.Length + 8);
        foreach (var c in shown)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\r' => text.Append("\\r"),
                '\n' => text.Append("\\n"),
                '\t' => text.Append("\\t"),
                _ when char.IsControl(c) => text.Append($"\\u{(int)c:x4}"),
                _ => text.Append(c),
            };
        }

        return value.Length > MaxQuoted ? text.Append('…').ToString() : text.ToString();
    }
}
