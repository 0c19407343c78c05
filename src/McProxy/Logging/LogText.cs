using System.Globalization;
using System.Text;

namespace McProxy.Logging;

/// <summary>
/// How the text format writes a value it did not make: SNIs, paths, hosts, exception messages and whatever else a
/// client can put into a message. A line feed or carriage return would start a line that looks like an event of its
/// own, an escape sequence would drive the terminal, and bidirectional overrides would reorder what is shown; all
/// are written as escapes (<c>\n</c>, <c>\x1b</c>, <c>\u202e</c>) so that one event stays one line and reads as it is.
/// </summary>
internal static class LogText
{
    /// <summary>What an empty or missing field shows, so that the fields after it keep their places.</summary>
    public const char Missing = '-';

    /// <summary>Appends <paramref name="text"/> with control characters escaped.</summary>
    public static void AppendEscaped(StringBuilder line, ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            var plain = IndexOfUnsafe(text);
            if (plain < 0)
            {
                line.Append(text);
                return;
            }

            line.Append(text[..plain]);
            AppendEscape(line, text[plain]);
            text = text[(plain + 1)..];
        }
    }

    /// <summary>
    /// Appends one field of a line made of space-separated fields: <see cref="Missing"/> when empty, in double quotes
    /// when it holds a space or a quote (so it cannot pass for more fields), control characters escaped.
    /// </summary>
    public static void AppendField(StringBuilder line, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            line.Append(Missing);
            return;
        }

        if (value.AsSpan().IndexOfAny(' ', '"') < 0)
        {
            AppendEscaped(line, value);
            return;
        }

        line.Append('"');
        foreach (var c in value)
        {
            if (c == '"')
            {
                line.Append("\\\"");
            }
            else if (IsUnsafe(c))
            {
                AppendEscape(line, c);
            }
            else
            {
                line.Append(c);
            }
        }

        line.Append('"');
    }

    /// <summary>A field's value as text: numbers in the invariant culture, null as empty.</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        string s => s,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional controls.</summary>
    public static bool IsUnsafe(char c) =>
        c < ' ' || (c >= '\u007f' && c <= '\u009f') || c is '\u2028' or '\u2029' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');

    private static int IndexOfUnsafe(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static void AppendEscape(StringBuilder line, char c)
    {
        _ = c switch
        {
            '\n' => line.Append("\\n"),
            '\r' => line.Append("\\r"),
            '\t' => line.Append("\\t"),
            < '\u0100' => line.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
            _ => line.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
        };
    }
}
