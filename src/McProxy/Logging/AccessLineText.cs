using System.Text;

namespace McProxy.Logging;

/// <summary>
/// The access lines in the text format, built from their fields rather than their key=value message, in the order a
/// person scans them: who, what they asked for, where it went, how it ended, how long it took.
/// <code>
/// 203.0.113.5:41234 app.example.com l4 10.0.0.2:443 ok 12ms in=517 out=3204 id=7
/// 203.0.113.5:41234 scanner.example no_route 0ms id=8
/// 203.0.113.5:41234 GET web.example.com/login HTTP/2 200 3ms id=9
/// 203.0.113.5:41234 GET web.example.com/ HTTP/1.1 502 5001ms backend_error id=10 detail="connection refused"
/// </code>
/// A connection without a route leaves out mode, backend and bytes (there were none); a request's outcome is shown
/// only when it is not <c>ok</c>, since its status says the rest. Every client-provided value is escaped
/// (<see cref="LogText"/>). The JSON format keeps every field, the listener included.
/// </summary>
internal static class AccessLineText
{
    /// <summary>The access line of a connection (ProxyConnection.Log.Access).</summary>
    public const int ConnectionEvent = 1;

    /// <summary>The access line of an L7 request (L7RequestLog.Log.Request).</summary>
    public const int RequestEvent = 20;

    /// <summary>Appends the line of event <paramref name="eventId"/>; false, appending nothing, if it is not an access line this knows.</summary>
    public static bool TryAppend(StringBuilder line, int eventId, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        switch (eventId)
        {
            case ConnectionEvent when Has(fields, "Outcome"):
                AppendConnection(line, fields);
                return true;
            case RequestEvent when Has(fields, "Status"):
                AppendRequest(line, fields);
                return true;
            default:
                return false;
        }
    }

    private static void AppendConnection(StringBuilder line, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        Field(line, fields, "Client");
        Field(line, fields, "Sni", " ");
        var routed = !string.IsNullOrEmpty(Get(fields, "Route"));
        if (routed)
        {
            Field(line, fields, "Mode", " ");
            Field(line, fields, "Backend", " ");
        }

        Field(line, fields, "Outcome", " ");
        Field(line, fields, "DurationMs", " ");
        line.Append("ms");
        if (routed)
        {
            Field(line, fields, "BytesIn", " in=");
            Field(line, fields, "BytesOut", " out=");
        }

        Tail(line, fields);
    }

    private static void AppendRequest(StringBuilder line, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        Field(line, fields, "Client");
        Field(line, fields, "Method", " ");
        line.Append(' ');
        // Host and path as one URL-like field; either may be empty (an HTTP/1.0 request without Host).
        LogText.AppendField(line, Get(fields, "Host") + Get(fields, "Path"));
        Field(line, fields, "Protocol", " ");
        Field(line, fields, "Status", " ");
        Field(line, fields, "DurationMs", " ");
        line.Append("ms");
        if (Get(fields, "Outcome") is { } outcome && outcome != "ok")
        {
            line.Append(' ');
            LogText.AppendField(line, outcome);
        }

        Tail(line, fields);
    }

    /// <summary>The connection id, which ties request lines to their connection's line, then the detail if any.</summary>
    private static void Tail(StringBuilder line, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        Field(line, fields, "ConnectionId", " id=");
        if (!string.IsNullOrEmpty(Get(fields, "Detail")))
        {
            Field(line, fields, "Detail", " detail=");
        }
    }

    private static void Field(StringBuilder line, IReadOnlyList<KeyValuePair<string, object?>> fields, string name, string prefix = "")
    {
        line.Append(prefix);
        LogText.AppendField(line, Get(fields, name));
    }

    private static bool Has(IReadOnlyList<KeyValuePair<string, object?>> fields, string name)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (fields[i].Key == name)
            {
                return true;
            }
        }

        return false;
    }

    private static string? Get(IReadOnlyList<KeyValuePair<string, object?>> fields, string name)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            if (field.Key == name)
            {
                return LogText.Format(field.Value);
            }
        }

        return null;
    }
}
