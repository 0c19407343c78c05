namespace McProxy.Logging;

/// <summary>
/// YARP's ForwardingError (event 48) for a request body that could not be sent after the backend had answered:
/// a backend that refuses an upload from its headers (413, 401) answers and resets the stream (HTTP/2) or stops
/// reading, and YARP, having passed the whole answer on to the client, then reports the body copy's failure at
/// Warning (dotnet/yarp#2731). The backend answered normally, so this is written at Debug. YARP reports a body copy
/// that failed after the answer with the copy's own exception; a body copy that failed before any answer (the client
/// gets 502) with an <see cref="AggregateException"/> of the copy's and the request's, which stays a warning.
/// </summary>
internal static class AnsweredForwards
{
    private const string Forwarder = "Yarp.ReverseProxy.Forwarder.HttpForwarder";

    /// <summary>YARP's EventIds.ForwardingError.</summary>
    private const int ForwardingError = 48;

    public static bool IsAnsweredBodyError<TState>(string category, EventId eventId, TState state, Exception? exception)
    {
        if (eventId.Id != ForwardingError || exception is null or AggregateException || category != Forwarder
            || state is not IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            return false;
        }

        foreach (var (key, value) in fields)
        {
            // YARP's ForwarderError names (the Logging folder does not reach into Http for the enum).
            if (key == "error")
            {
                return value?.ToString() is "RequestBodyDestination" or "RequestBodyClient";
            }
        }

        return false;
    }
}
