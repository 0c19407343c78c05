using System.Buffers;
using System.Text.Unicode;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace McProxy.Config;

/// <summary>
/// The config's TOML layer: text in, Tomlyn's table model out, or a <see cref="ConfigException"/> whose every
/// error names its line. Tomlyn's <see cref="SyntaxParser"/> lexes and parses; <see cref="TomlModelBuilder"/>
/// gives the tree its TOML 1.0 meaning. Tomlyn's own semantic validator and its model deserializer are not
/// used: the deserializer loses tables written in an order TOML allows and lets a repeated key win, and one
/// set of table rules (the builder's) gives one wording for every error.
/// </summary>
internal static class TomlDocumentReader
{
    // After this many, further errors are mostly echoes of the first; the count of the rest is still given.
    private const int MaxErrors = 20;

    // A syntax message quotes the offending token; a hostile file should not make it long.
    private const int MaxMessageLength = 200;

    /// <summary>Reads a file's bytes: TOML is UTF-8, with at most one byte order mark, at the start.</summary>
    public static TomlTable Read(ReadOnlySpan<byte> utf8, string sourceName)
    {
        var chars = new char[utf8.Length];
        var status = Utf8.ToUtf16(utf8, chars, out var bytesRead, out var charsWritten, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            var line = utf8[..bytesRead].Count((byte)'\n') + 1;
            throw new ConfigException(sourceName, [$"TOML, line {line}: the file is not valid UTF-8 (byte {bytesRead})"]);
        }

        return Read(new string(chars, 0, charsWritten), sourceName);
    }

    public static TomlTable Read(string text, string sourceName)
    {
        if (text.StartsWith('\uFEFF'))
        {
            text = text[1..];
        }

        // Tomlyn skips a byte order mark at the start of what it is given, so a second one would pass unseen.
        if (text.StartsWith('\uFEFF'))
        {
            throw new ConfigException(sourceName, ["TOML, line 1: a byte order mark may appear only once, at the very start"]);
        }

        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, sourceName, validate: false);
        }
        catch (TomlException e)
        {
            // What the parser cannot record as a diagnostic, such as nesting deeper than its limit, it throws.
            var where = e.Line is { } line ? $", line {line}, column {e.Column}" : "";
            throw new ConfigException(sourceName, [$"TOML syntax{where}: {Cut(e.Message)}"]);
        }

        var errors = new List<string>();
        foreach (var diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
            {
                errors.Add($"TOML syntax, line {diagnostic.Span.Start.Line + 1}, column {diagnostic.Span.Start.Column + 1}: {Cut(diagnostic.Message)}");
            }
        }

        // A tree with syntax errors is partial: building it would only add confusing follow-on errors.
        var table = errors.Count == 0 ? new TomlModelBuilder(text, errors).Build(document) : null;
        if (errors.Count > 0)
        {
            if (errors.Count > MaxErrors)
            {
                var more = errors.Count - MaxErrors;
                errors.RemoveRange(MaxErrors, more);
                errors.Add($"TOML: {more} more error(s) not shown");
            }

            throw new ConfigException(sourceName, errors);
        }

        return table!;
    }

    private static string Cut(string message) => message.Length > MaxMessageLength ? message[..MaxMessageLength] + "…" : message;
}
