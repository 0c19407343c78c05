using System.Text.Json;
using McProxy.Logging;

namespace McProxy.Tests.Logging;

/// <summary>
/// <c>[log] format = "json"</c>: one object a line with the fields log queries key on (Timestamp, EventId, LogLevel,
/// Category, Message, Exception, State), the message written once.
/// </summary>
[UnitTest]
public sealed class JsonLineFormatterTests
{
    private static string Write(List<KeyValuePair<string, object?>> state, string category = "McProxy.Access", LogLevel level = LogLevel.Information, int eventId = 1, Exception? exception = null) =>
        LogLines.Write(new JsonLineFormatter(new LogLines.FixedClock()), category, level, new EventId(eventId, "Connection"), state, LogLines.Message, exception);

    private static JsonElement Parse(string output)
    {
        Assert.EndsWith(Environment.NewLine, output, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', output.TrimEnd());
        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    [Fact]
    public void AccessLine_HasTheFieldsInTheirOrder_AndTheMessageOnce()
    {
        var output = Write(LogLines.Connection());
        var line = Parse(output);

        Assert.Equal(["Timestamp", "EventId", "LogLevel", "Category", "Message", "State"], line.EnumerateObject().Select(p => p.Name));
        Assert.Equal("2026-12-03T12:00:01.123Z", line.GetProperty("Timestamp").GetString());
        Assert.Equal(1, line.GetProperty("EventId").GetInt32());
        Assert.Equal("Information", line.GetProperty("LogLevel").GetString());
        Assert.Equal("McProxy.Access", line.GetProperty("Category").GetString());

        var message = line.GetProperty("Message").GetString()!;
        Assert.Equal(LogLines.Message(LogLines.Connection(), null), message);
        Assert.Equal(1, Occurrences(output, JsonEncodedText.Encode(message).ToString()));

        var state = line.GetProperty("State");
        Assert.Equal(
            ["Listener", "Client", "Sni", "Route", "Mode", "Backend", "BytesIn", "BytesOut", "DurationMs", "Outcome", "Detail", "ConnectionId"],
            state.EnumerateObject().Select(p => p.Name));
        Assert.Equal("203.0.113.5:41234", state.GetProperty("Client").GetString());
        Assert.Equal(517, state.GetProperty("BytesIn").GetInt64());
        Assert.Equal(7, state.GetProperty("ConnectionId").GetInt64());
        Assert.False(state.TryGetProperty("Message", out _));
        Assert.DoesNotContain("OriginalFormat", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_KeepTheirJsonKinds_AndControlCharactersStayInsideTheString()
    {
        var line = Parse(Write(LogLines.State("{Text} {Count} {Flag} {Nothing} {Ratio} {Span}",
            ("Text", "a\r\n{\"forged\":1}"), ("Count", 42), ("Flag", true), ("Nothing", null), ("Ratio", 0.5), ("Span", TimeSpan.FromSeconds(90))), category: "McProxy.Server"));

        var state = line.GetProperty("State");
        Assert.Equal("a\r\n{\"forged\":1}", state.GetProperty("Text").GetString());
        Assert.Equal(42, state.GetProperty("Count").GetInt32());
        Assert.True(state.GetProperty("Flag").GetBoolean());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("Nothing").ValueKind);
        Assert.Equal(0.5, state.GetProperty("Ratio").GetDouble());
        Assert.Equal("00:01:30", state.GetProperty("Span").GetString());
    }

    [Fact]
    public void Exception_IsWrittenWhole_BeforeTheState()
    {
        var line = Parse(Write(LogLines.State("failed"), category: "McProxy.Connection", level: LogLevel.Error, eventId: 2, exception: new InvalidOperationException("boom")));

        Assert.Equal(["Timestamp", "EventId", "LogLevel", "Category", "Message", "Exception", "State"], line.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Error", line.GetProperty("LogLevel").GetString());
        Assert.Equal("System.InvalidOperationException: boom", line.GetProperty("Exception").GetString());
        Assert.Empty(line.GetProperty("State").EnumerateObject());
    }

    [Fact]
    public void StateThatIsNoFieldList_GivesAnEmptyState()
    {
        var output = LogLines.Write(new JsonLineFormatter(new LogLines.FixedClock()), "Microsoft.Test", LogLevel.Warning, new EventId(5), "plain", (s, _) => s);

        var line = Parse(output);
        Assert.Equal("plain", line.GetProperty("Message").GetString());
        Assert.Empty(line.GetProperty("State").EnumerateObject());
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
