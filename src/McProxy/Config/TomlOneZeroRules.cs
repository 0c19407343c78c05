using Tomlyn.Syntax;

namespace McProxy.Config;

/// <summary>
/// What TOML 1.1 added and Tomlyn's parser therefore accepts, found in its syntax tree so the config stays TOML
/// 1.0: line breaks and a trailing comma in an inline table, the <c>\e</c> and <c>\xHH</c> escapes, times
/// without seconds. Each check reads a node Tomlyn already parsed; none re-reads the text on its own.
/// </summary>
internal static class TomlOneZeroRules
{
    // A value quoted in an error is cut here, so a hostile file cannot make a message huge.
    private const int MaxQuotedLength = 100;

    /// <summary>
    /// TOML 1.0: "No newlines are allowed between the curly braces unless they are valid within a value", and no
    /// comma after the last key/value. The gaps between the table's own tokens (braces, keys, dots, equals signs,
    /// values, commas) hold only whitespace and comments, so a line break in one of them is a line break between
    /// the braces; a line break inside a value (a multi-line string, an array) lies inside a token, not a gap.
    /// </summary>
    public static (int Line, string Message)? InlineTableError(InlineTableSyntax table, string text)
    {
        var pieces = new List<SyntaxNode?> { table.OpenBrace };
        foreach (var item in table.Items)
        {
            pieces.Add(item.KeyValue?.Key?.Key);
            foreach (var dotted in item.KeyValue?.Key?.DotKeys ?? [])
            {
                pieces.Add(dotted.Dot);
                pieces.Add(dotted.Key);
            }

            pieces.Add(item.KeyValue?.EqualToken);
            pieces.Add(item.KeyValue?.Value);
            pieces.Add(item.Comma);
        }

        pieces.Add(table.CloseBrace);

        SyntaxNode? previous = null;
        foreach (var piece in pieces)
        {
            if (piece is null)
            {
                continue;
            }

            if (previous is not null)
            {
                // Spans are inclusive of their last character.
                var gapStart = previous.Span.End.Offset + 1;
                var gapLength = piece.Span.Start.Offset - gapStart;
                if (gapLength > 0 && text.AsSpan(gapStart, gapLength).IndexOfAny('\n', '\r') >= 0)
                {
                    return (previous.Span.End.Line + 1, "an inline table must be on one line (TOML 1.0 allows line breaks only inside its values)");
                }
            }

            previous = piece;
        }

        var count = table.Items.ChildrenCount;
        if (count > 0 && table.Items.GetChild(count - 1)?.Comma is { } comma)
        {
            return (comma.Span.Start.Line + 1, "an inline table cannot end with a comma (TOML 1.0)");
        }

        return null;
    }

    /// <summary>TOML 1.0's basic strings have no <c>\e</c> or <c>\xHH</c> escape (1.1 added them); Tomlyn decodes both.</summary>
    public static string? EscapeError(StringValueSyntax value)
    {
        if (value.Token is not { TokenKind: TokenKind.String or TokenKind.StringMulti, Text: { } raw })
        {
            return null;
        }

        // The token was lexed already: a backslash always starts an escape, so stepping over each pair finds them all.
        for (var i = 0; i < raw.Length - 1; i++)
        {
            if (raw[i] != '\\')
            {
                continue;
            }

            var escape = raw[i + 1];
            if (escape is 'e' or 'x')
            {
                return $"\\{escape} is not an escape in TOML 1.0 (use \\u with four hex digits)";
            }

            i++;
        }

        return null;
    }

    /// <summary>TOML 1.0 times have seconds (<c>07:32:00</c>); 1.1 made them optional and Tomlyn accepts <c>07:32</c>.</summary>
    public static string? TimeError(DateTimeValueSyntax value)
    {
        if (value.Kind == SyntaxKind.LocalDate || value.Token?.Text is not { } raw)
        {
            return null;
        }

        // A local time is the whole token; in a date-time the time follows the 10-character date and its separator.
        var time = value.Kind == SyntaxKind.LocalTime ? raw : raw.Length > 11 ? raw[11..] : "";
        if (time.Length >= 8 && time[5] == ':')
        {
            return null;
        }

        var shown = raw.Length > MaxQuotedLength ? raw[..MaxQuotedLength] + "…" : raw;
        return $"the time in {shown} needs seconds (TOML 1.0), e.g. 07:32:00";
    }
}
