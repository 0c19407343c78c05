using System.Text;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace McProxy.Config;

/// <summary>
/// Turns Tomlyn's syntax tree (<see cref="SyntaxParser"/>) into Tomlyn's model (<see cref="TomlTable"/>,
/// <see cref="TomlArray"/>, <see cref="TomlTableArray"/>) under TOML 1.0's rules: a key is set once per table;
/// a table is defined once, by its header, by dotted keys or inline, and what defined it decides what may add
/// to it later (<see cref="TomlTableOrigin"/>); <c>[[a]]</c> appends to an array of tables wherever it appears in
/// the file; inline tables and static arrays are complete as written. Tomlyn's parser reads TOML 1.1, so what 1.1
/// added is refused on the way (<see cref="TomlOneZeroRules"/>). Every error names its line.
/// </summary>
internal sealed class TomlModelBuilder
{
    // A key quoted in an error is cut here, so a hostile file cannot make a message huge.
    private const int MaxQuotedLength = 100;

    private readonly string _text;
    private readonly List<string> _errors;
    private readonly Dictionary<TomlTable, TomlTableState> _tables = new(ReferenceEqualityComparer.Instance);

    public TomlModelBuilder(string text, List<string> errors)
    {
        _text = text;
        _errors = errors;
    }

    public TomlTable Build(DocumentSyntax document)
    {
        var root = NewTable(parent: null, "", TomlTableOrigin.Header, line: 0, inline: false);
        foreach (var keyValue in document.KeyValues)
        {
            Assign(root, keyValue);
        }

        foreach (var header in document.Tables)
        {
            var line = Line(header);
            var name = KeyParts(header.Name, line);
            if (name is null)
            {
                continue;
            }

            var table = header is TableArraySyntax ? AppendArrayElement(root, name, line) : DefineTable(root, name, line);
            if (table is null)
            {
                // Its keys have nowhere to go; the header's error says why.
                continue;
            }

            foreach (var keyValue in header.Items)
            {
                Assign(table, keyValue);
            }
        }

        return root;
    }

    /// <summary><c>[a.b.c]</c>: walk to <c>a.b</c>, then define <c>c</c>, which must be new or only implicitly created.</summary>
    private TomlTable? DefineTable(TomlTable root, List<string> name, int line)
    {
        var parent = WalkHeader(root, name, line);
        if (parent is null)
        {
            return null;
        }

        var key = name[^1];
        if (!parent.TryGetValue(key, out var existing))
        {
            return AddTable(parent, key, TomlTableOrigin.Header, line, inline: false);
        }

        if (existing is TomlTable table && _tables[table] is { Origin: TomlTableOrigin.Implicit } state)
        {
            state.Origin = TomlTableOrigin.Header;
            state.Line = line;
            return table;
        }

        var header = $"[{Render(name)}]";
        var firstLine = _tables[parent].KeyLines[key];
        Error(line, existing switch
        {
            TomlTable t => _tables[t].Origin switch
            {
                TomlTableOrigin.Dotted => $"table {header} was already defined by dotted keys on line {firstLine}",
                TomlTableOrigin.Inline => $"table {header} was already defined as an inline table on line {firstLine}",
                _ => $"table {header} is already defined on line {_tables[t].Line}",
            },
            TomlTableArray => $"{header} is already an array of tables, [[{Render(name)}]], on line {firstLine}",
            _ => $"{header} cannot be a table: the key is already {Describe(existing)} on line {firstLine}",
        });
        return null;
    }

    /// <summary><c>[[a.b.c]]</c>: walk to <c>a.b</c>, then add a new table to the array of tables <c>c</c>.</summary>
    private TomlTable? AppendArrayElement(TomlTable root, List<string> name, int line)
    {
        var parent = WalkHeader(root, name, line);
        if (parent is null)
        {
            return null;
        }

        var key = name[^1];
        if (!parent.TryGetValue(key, out var existing))
        {
            var created = new TomlTableArray();
            parent.Add(key, created);
            _tables[parent].KeyLines[key] = line;
            existing = created;
        }

        if (existing is not TomlTableArray array)
        {
            // A static array (a = [...]) is complete as written, so [[a]] cannot append to it either.
            Error(line, $"[[{Render(name)}]] cannot append to the key: it is already {Describe(existing)} on line {_tables[parent].KeyLines[key]}");
            return null;
        }

        var element = NewTable(_tables[parent], key, TomlTableOrigin.Header, line, inline: false);
        array.Add(element);
        return element;
    }

    /// <summary>The parent of a header's last key: missing tables are created implicitly, an array of tables means its last element.</summary>
    private TomlTable? WalkHeader(TomlTable root, List<string> name, int line)
    {
        var table = root;
        for (var i = 0; i < name.Count - 1; i++)
        {
            var key = name[i];
            if (!table.TryGetValue(key, out var existing))
            {
                table = AddTable(table, key, TomlTableOrigin.Implicit, line, inline: false);
                continue;
            }

            switch (existing)
            {
                case TomlTable child when _tables[child].Origin != TomlTableOrigin.Inline:
                    table = child;
                    continue;
                case TomlTableArray array:
                    table = array[^1];
                    continue;
            }

            Error(line, $"[{Render(name)}] cannot add to `{Render(name.GetRange(0, i + 1))}`: it is {Describe(existing)}, set on line {_tables[table].KeyLines[key]}");
            return null;
        }

        return table;
    }

    /// <summary><c>a.b.c = value</c> inside <paramref name="table"/>: dotted keys define tables on the way, the last key must be new.</summary>
    private void Assign(TomlTable table, KeyValueSyntax keyValue)
    {
        var line = Line(keyValue);
        var key = KeyParts(keyValue.Key, line);
        if (key is null || keyValue.Value is null)
        {
            return;
        }

        for (var i = 0; i < key.Count - 1; i++)
        {
            var part = key[i];
            // Inside an inline table (still being built) the tables dotted keys create are part of it.
            var inline = table.Kind == ObjectKind.InlineTable;
            if (!table.TryGetValue(part, out var existing))
            {
                table = AddTable(table, part, TomlTableOrigin.Dotted, line, inline);
                continue;
            }

            var firstLine = _tables[table].KeyLines[part];
            if (existing is TomlTable child)
            {
                var state = _tables[child];
                switch (state.Origin)
                {
                    case TomlTableOrigin.Dotted:
                        table = child;
                        continue;
                    case TomlTableOrigin.Implicit:
                        // Dotted keys now define it, so a later [header] for it would be a second definition.
                        state.Origin = TomlTableOrigin.Dotted;
                        table = child;
                        continue;
                    case TomlTableOrigin.Header:
                        Error(line, $"dotted key `{Render(key)}` cannot add to table [{PathOf(state)}], defined by its header on line {state.Line}");
                        return;
                    default:
                        Error(line, $"dotted key `{Render(key)}` cannot add to `{Quote(part)}`, an inline table complete as written on line {firstLine}");
                        return;
                }
            }

            Error(line, $"dotted key `{Render(key)}` needs `{Quote(part)}` to be a table, but it is {Describe(existing)}, set on line {firstLine}");
            return;
        }

        var last = key[^1];
        var tableState = _tables[table];
        if (table.ContainsKey(last))
        {
            var where = tableState.Parent is null ? "" : $" in [{PathOf(tableState)}]";
            Error(line, $"duplicate key `{Quote(last)}`{where}, first set on line {tableState.KeyLines[last]}");
            return;
        }

        var value = BuildValue(keyValue.Value, tableState, last, line);
        if (value is null)
        {
            return;
        }

        table.Add(last, value);
        tableState.KeyLines[last] = line;
    }

    /// <summary>The value of <paramref name="key"/> in <paramref name="parent"/> (for an array, of each of its elements).</summary>
    private object? BuildValue(ValueSyntax syntax, TomlTableState parent, string key, int line)
    {
        switch (syntax)
        {
            case StringValueSyntax s:
                ReportRule(Line(s), TomlOneZeroRules.EscapeError(s));
                return s.Value ?? "";
            case IntegerValueSyntax i:
                return i.Value;
            case FloatValueSyntax f:
                return f.Value;
            case BooleanValueSyntax b:
                return b.Value;
            case DateTimeValueSyntax d:
                ReportRule(Line(d), TomlOneZeroRules.TimeError(d));
                return d.Value;
            case ArraySyntax a:
                var array = new TomlArray(a.Items.ChildrenCount);
                foreach (var item in a.Items)
                {
                    var element = item.Value is null ? null : BuildValue(item.Value, parent, key, Line(item));
                    if (element is null)
                    {
                        return null;
                    }

                    array.Add(element);
                }

                return array;
            case InlineTableSyntax t:
                if (TomlOneZeroRules.InlineTableError(t, _text) is { } inlineError)
                {
                    Error(inlineError.Line, inlineError.Message);
                }

                var table = NewTable(parent, key, TomlTableOrigin.Dotted, line, inline: true);
                foreach (var item in t.Items)
                {
                    if (item.KeyValue is not null)
                    {
                        Assign(table, item.KeyValue);
                    }
                }

                Seal(table);
                return table;
            default:
                Error(line, $"unexpected {syntax.Kind} where a value should be");
                return null;
        }
    }

    /// <summary>Once its closing brace is read, an inline table and every table inside it are complete.</summary>
    private void Seal(TomlTable inlineTable)
    {
        // A stack, not recursion: dotted keys can nest tables as deep as the key is long.
        var pending = new Stack<object?>();
        pending.Push(inlineTable);
        while (pending.TryPop(out var value))
        {
            switch (value)
            {
                case TomlTable table:
                    _tables[table].Origin = TomlTableOrigin.Inline;
                    foreach (var entry in table)
                    {
                        pending.Push(entry.Value);
                    }

                    break;
                case TomlArray array:
                    foreach (var element in array)
                    {
                        pending.Push(element);
                    }

                    break;
            }
        }
    }

    private List<string>? KeyParts(KeySyntax? key, int line)
    {
        if (key?.Key is null)
        {
            Error(line, "a key is missing");
            return null;
        }

        var parts = new List<string>(1 + key.DotKeys.ChildrenCount) { KeyName(key.Key, line) };
        foreach (var dotted in key.DotKeys)
        {
            if (dotted.Key is null)
            {
                Error(line, "a dotted key has an empty part");
                return null;
            }

            parts.Add(KeyName(dotted.Key, line));
        }

        return parts;
    }

    private string KeyName(BareKeyOrStringValueSyntax key, int line)
    {
        if (key is StringValueSyntax quoted)
        {
            ReportRule(line, TomlOneZeroRules.EscapeError(quoted));
            return quoted.Value ?? "";
        }

        return ((BareKeySyntax)key).Key?.Text ?? "";
    }

    private TomlTable AddTable(TomlTable parent, string key, TomlTableOrigin origin, int line, bool inline)
    {
        var parentState = _tables[parent];
        var table = NewTable(parentState, key, origin, line, inline);
        parent.Add(key, table);
        parentState.KeyLines[key] = line;
        return table;
    }

    private TomlTable NewTable(TomlTableState? parent, string key, TomlTableOrigin origin, int line, bool inline)
    {
        var table = new TomlTable(inline);
        _tables.Add(table, new TomlTableState(parent, key, origin, line));
        return table;
    }

    private void ReportRule(int line, string? error)
    {
        if (error is not null)
        {
            Error(line, error);
        }
    }

    private void Error(int line, string message) => _errors.Add($"TOML, line {line}: {message}");

    private static int Line(SyntaxNode node) => node.Span.Start.Line + 1;

    /// <summary>A table's dotted name as a header writes it, found by walking up (paths are not stored: a deep one would cost its depth in every table).</summary>
    private static string PathOf(TomlTableState state)
    {
        var keys = new List<string>();
        for (var s = state; s.Parent is not null; s = s.Parent)
        {
            keys.Add(s.Key);
        }

        keys.Reverse();
        return Render(keys);
    }

    /// <summary>A dotted key, cut after about <see cref="MaxQuotedLength"/> characters.</summary>
    private static string Render(List<string> key)
    {
        var text = new StringBuilder();
        foreach (var part in key)
        {
            if (text.Length > MaxQuotedLength)
            {
                return text.Append('…').ToString();
            }

            text.Append(text.Length == 0 ? "" : ".").Append(Quote(part));
        }

        return text.ToString();
    }

    /// <summary>A key as TOML writes it: bare when it can be, quoted otherwise; cut to <see cref="MaxQuotedLength"/> characters.</summary>
    private static string Quote(string key)
    {
        if (key.Length > 0 && key.Length <= MaxQuotedLength && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return key;
        }

        var quoted = new StringBuilder("\"");
        foreach (var c in key.AsSpan(0, Math.Min(key.Length, MaxQuotedLength)))
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return quoted.Append(key.Length > MaxQuotedLength ? "…\"" : "\"").ToString();
    }

    private static string Describe(object? value) => value switch
    {
        string => "a string",
        long => "an integer",
        double => "a float",
        bool => "a boolean",
        TomlDateTime => "a date-time",
        TomlArray => "an array (complete as written)",
        TomlTableArray => "an array of tables",
        TomlTable { Kind: ObjectKind.InlineTable } => "an inline table (complete as written)",
        TomlTable => "a table",
        _ => "a value",
    };
}
