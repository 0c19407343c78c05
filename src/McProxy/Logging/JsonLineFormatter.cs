using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace McProxy.Logging;

/// <summary>
/// <c>[log] format = "json"</c>: one JSON object a line, as journald, log shippers and <c>jq</c> take it. The fields are
/// those of the framework's JSON console formatter, in its order (<c>Timestamp</c> in UTC, <c>EventId</c>,
/// <c>LogLevel</c>, <c>Category</c>, <c>Message</c>, <c>Exception</c> when there is one, <c>State</c> with the event's
/// fields), so queries written against it keep working; what it wrote twice is gone. Its <c>State</c> repeated the
/// whole message as <c>State.Message</c>, and once more as the template (<c>{OriginalFormat}</c>), which
/// <c>Category</c> and <c>EventId</c> already identify: an access line was three times as long as its fields.
/// </summary>
internal sealed class JsonLineFormatter(TimeProvider time) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "mc-proxy-json";

    /// <summary>A buffer grown past this by one long line (a stack trace) is not kept for the thread's next lines.</summary>
    internal const int MaxKeptBuffer = 64 * 1024;

    /// <summary>The template the logging framework adds to every event's fields.</summary>
    internal const string OriginalFormat = "{OriginalFormat}";

    // The console logger formats on the thread that logs (it queues the finished text), so one buffer per thread
    // serves every line of that thread without allocating a new one for each connection's access line.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);

        writer.WriteStartObject();
        writer.WriteString("Timestamp", time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        writer.WriteNumber("EventId", logEntry.EventId.Id);
        writer.WriteString("LogLevel", LevelName(logEntry.LogLevel));
        writer.WriteString("Category", logEntry.Category);
        writer.WriteString("Message", message);
        if (logEntry.Exception is { } exception)
        {
            writer.WriteString("Exception", exception.ToString());
        }

        writer.WriteStartObject("State");
        if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            for (var i = 0; i < fields.Count; i++)
            {
                var field = fields[i];
                if (field.Key != OriginalFormat)
                {
                    WriteField(writer, field.Key, field.Value);
                }
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();

        textWriter.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write(Environment.NewLine);
        if (buffer.Capacity > MaxKeptBuffer)
        {
            _buffer = null;
            _writer = null;
        }
    }

    /// <summary>The names the framework's formatter writes (the enum's own names), without formatting an enum per line.</summary>
    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "Trace",
        LogLevel.Debug => "Debug",
        LogLevel.Information => "Information",
        LogLevel.Warning => "Warning",
        LogLevel.Error => "Error",
        LogLevel.Critical => "Critical",
        _ => level.ToString(),
    };

    /// <summary>Numbers and booleans as JSON numbers and booleans (<c>BytesIn</c>, <c>Status</c>), the rest as strings.</summary>
    private static void WriteField(Utf8JsonWriter writer, string key, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(key);
                break;
            case string s:
                writer.WriteString(key, s);
                break;
            case bool b:
                writer.WriteBoolean(key, b);
                break;
            case sbyte or short or int or long:
                writer.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case byte or ushort or uint or ulong:
                writer.WriteNumber(key, Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                break;
            case double n when double.IsFinite(n):
                writer.WriteNumber(key, n);
                break;
            case float n when float.IsFinite(n):
                writer.WriteNumber(key, n);
                break;
            case decimal n:
                writer.WriteNumber(key, n);
                break;
            default:
                writer.WriteString(key, LogText.Format(value));
                break;
        }
    }
}
