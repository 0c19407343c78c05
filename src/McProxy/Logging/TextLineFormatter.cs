using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace McProxy.Logging;

/// <summary>
/// <c>[log] format = "text"</c>: one short line per event for a person at a terminal (<c>make devserver</c>):
/// <code>
/// 12:00:01.123 info  server Listener :443 accepting on [::]:443
/// 12:00:01.456 info  access 203.0.113.5:41234 app.example.com l4 10.0.0.2:443 ok 12ms in=517 out=3204 id=7
/// 12:00:02.001 error connection Connection 8 failed unexpectedly: InvalidOperationException: ...
/// </code>
/// The UTC time of day, the level in the words of <c>[log] level</c>, the category's short name and the message; access
/// lines are laid out from their fields (<see cref="AccessLineText"/>). Whatever a client could have put in the line
/// is escaped (<see cref="LogText"/>), so one event is always one line.
/// <para>
/// An exception adds its type and message to the line (and its inner exceptions'), which is what tells the reader
/// what happened. Its stack trace is written only when the server runs at debug, each of its lines indented below the
/// event: SPEC §6 keeps stack traces to debug, and a trace is for the developer who turned debug on, not for the
/// operator scanning the access lines; indented, its lines cannot be taken for events.
/// </para>
/// </summary>
internal sealed class TextLineFormatter(LogLevel configured, TimeProvider time) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "mc-proxy-text";

    private const string StackIndent = "    ";

    /// <summary>How deep the exception chain is shown on the line.</summary>
    private const int MaxInnerExceptions = 3;

    private readonly bool _stackTraces = configured <= LogLevel.Debug;

    /// <summary>Categories are a fixed set (the code's and the framework's), so their short names are made once.</summary>
    private readonly ConcurrentDictionary<string, string> _shortNames = new(StringComparer.Ordinal);

    [ThreadStatic]
    private static StringBuilder? _line;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var line = _line ??= new StringBuilder(256);
        line.Clear();

        line.Append(CultureInfo.InvariantCulture, $"{time.GetUtcNow():HH:mm:ss.fff} ");
        line.Append(LevelName(logEntry.LogLevel)).Append(' ');
        line.Append(_shortNames.GetOrAdd(logEntry.Category, ShortName)).Append(' ');

        var accessLine = logEntry.Category == LogCategories.Access
            && logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> fields
            && AccessLineText.TryAppend(line, logEntry.EventId.Id, fields);
        if (!accessLine)
        {
            var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            if (message is null && logEntry.Exception is null)
            {
                return;
            }

            LogText.AppendEscaped(line, message);
        }

        if (logEntry.Exception is { } exception)
        {
            AppendExceptionSummary(line, exception);
        }

        line.Append(Environment.NewLine);
        if (_stackTraces && logEntry.Exception is not null)
        {
            AppendStackTrace(line, logEntry.Exception);
        }

        textWriter.Write(line);
        if (line.Capacity > JsonLineFormatter.MaxKeptBuffer)
        {
            _line = null;
        }
    }

    /// <summary>
    /// The level as <c>[log] level</c> names it, padded to one width so the categories line up. Error and critical
    /// keep distinct words: critical is the framework's (Kestrel's output queue overflow), error is ours.
    /// </summary>
    internal static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info ",
        LogLevel.Warning => "warn ",
        LogLevel.Error => "error",
        LogLevel.Critical => "crit ",
        _ => "none ",
    };

    /// <summary>
    /// mc-proxy's own categories by their last part in lower case (<c>McProxy.Access</c> is <c>access</c>); the
    /// framework's by their last part as the framework spells it (<c>Kestrel</c>, <c>Http2</c>, <c>HttpForwarder</c>),
    /// which tells them from ours.
    /// </summary>
    internal static string ShortName(string category)
    {
        var last = category[(category.LastIndexOf('.') + 1)..];
        return category.StartsWith("McProxy.", StringComparison.Ordinal) ? last.ToLowerInvariant() : last;
    }

    private static void AppendExceptionSummary(StringBuilder line, Exception exception)
    {
        line.Append(": ");
        for (var depth = 0; exception is not null && depth < MaxInnerExceptions; depth++, exception = exception.InnerException!)
        {
            if (depth > 0)
            {
                line.Append(" ---> ");
            }

            line.Append(exception.GetType().Name).Append(": ");
            LogText.AppendEscaped(line, exception.Message);
        }
    }

    private static void AppendStackTrace(StringBuilder line, Exception exception)
    {
        foreach (var part in exception.ToString().Split('\n'))
        {
            line.Append(StackIndent);
            LogText.AppendEscaped(line, part.TrimEnd('\r'));
            line.Append(Environment.NewLine);
        }
    }
}
