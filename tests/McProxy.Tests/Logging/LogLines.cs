using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace McProxy.Tests.Logging;

/// <summary>
/// Runs console formatters as the console logger does (one <see cref="LogEntry{TState}"/>, one text writer) and
/// builds the states mc-proxy's access lines carry, under the field names of ProxyConnection.Log.Access and
/// L7RequestLog.Log.Request (LogOutputTests checks those names on the real process).
/// </summary>
internal static class LogLines
{
    public static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 1, 123, TimeSpan.Zero);

    public static string Write<TState>(ConsoleFormatter formatter, string category, LogLevel level, EventId eventId, TState state, Func<TState, Exception?, string> format, Exception? exception = null)
    {
        using var writer = new StringWriter();
        formatter.Write(new LogEntry<TState>(level, category, eventId, state, exception, format), null, writer);
        return writer.ToString();
    }

    /// <summary>A state as <c>[LoggerMessage]</c> makes it: the fields, then the template.</summary>
    public static List<KeyValuePair<string, object?>> State(string template, params (string Key, object? Value)[] fields)
    {
        var state = fields.Select(f => new KeyValuePair<string, object?>(f.Key, f.Value)).ToList();
        state.Add(new("{OriginalFormat}", template));
        return state;
    }

    public static string Message(List<KeyValuePair<string, object?>> state, Exception? exception) =>
        string.Join(" ", state.Where(f => f.Key != "{OriginalFormat}").Select(f => $"{f.Key}={f.Value}"));

    public static List<KeyValuePair<string, object?>> Connection(string sni = "app.example.com", string route = "app.example.com", string outcome = "ok", string detail = "") => State(
        "{Listener} {Client} sni={Sni} route={Route} mode={Mode} backend={Backend} in={BytesIn} out={BytesOut} duration_ms={DurationMs} outcome={Outcome} detail={Detail} id={ConnectionId}",
        ("Listener", "0.0.0.0:443"),
        ("Client", "203.0.113.5:41234"),
        ("Sni", sni),
        ("Route", route),
        ("Mode", route.Length == 0 ? "" : "l4"),
        ("Backend", route.Length == 0 ? "" : "10.0.0.2:443"),
        ("BytesIn", 517L),
        ("BytesOut", 3204L),
        ("DurationMs", 12L),
        ("Outcome", outcome),
        ("Detail", detail),
        ("ConnectionId", 7L));

    public static List<KeyValuePair<string, object?>> Request(int status = 200, string outcome = "ok", string path = "/login", string detail = "") => State(
        "{Listener} {Client} host={Host} route={Route} {Method} {Path} {Protocol} status={Status} outcome={Outcome} duration_ms={DurationMs} detail={Detail} id={ConnectionId}",
        ("Listener", "0.0.0.0:443"),
        ("Client", "203.0.113.5:41234"),
        ("Host", "web.example.com"),
        ("Route", "web.example.com"),
        ("Method", "GET"),
        ("Path", path),
        ("Protocol", "HTTP/2"),
        ("Status", status),
        ("Outcome", outcome),
        ("DurationMs", 3L),
        ("Detail", detail),
        ("ConnectionId", 9L));

    /// <summary>A clock that always says <see cref="Now"/>.</summary>
    public sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
