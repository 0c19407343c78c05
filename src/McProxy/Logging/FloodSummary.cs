using System.Collections;

namespace McProxy.Logging;

/// <summary>
/// The line that stands for the lines <see cref="LogFloodGate"/> dropped: written with the dropped event's category,
/// event id and (highest) level, so a search for that event finds it, and its count as a field of its own.
/// </summary>
internal sealed class FloodSummary(ILogger output, LogLevel level, EventId eventId, int count, int seconds) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string Format = "{Count} more like this ({EventName}) in the last {WindowSeconds} s";

    public int Count => 4;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Count", count),
        1 => new("EventName", eventId.Name ?? eventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        2 => new("WindowSeconds", seconds),
        3 => new("{OriginalFormat}", Format),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public void Write() => output.Log(level, eventId, this, null, static (state, _) => state.ToString());

    public override string ToString() => $"{count} more like this ({this[1].Value}) in the last {seconds} s";

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
