using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace McProxy.Logging;

/// <summary>
/// Framework events that report what a client did, not a fault of the server: they are written at Debug (with
/// their stack trace), never at Warning or above. Kestrel only ever faces the client, so in its categories an
/// error caused by the client's transport going away (a reset, an abort) is the client's doing: Kestrel logs
/// "Unexpected exception in TimingPipeFlusher.FlushAsync" once per pending flush, which is once per stream when an
/// HTTP/2 client floods and then resets. Its bad-request events and the HTTP/2 output queue overflow (a peer that
/// sends PINGs or SETTINGS faster than it reads their acknowledgements) are the client's too. An application error
/// (event 13) stays as it is: there the exception may come from the backend.
/// </summary>
internal static class ClientFaults
{
    private const string BadRequests = LogCategories.Kestrel + ".BadRequests";
    private const string Http2 = LogCategories.Kestrel + ".Http2";

    /// <summary>Kestrel's ApplicationError: YARP (or a bug of ours) threw, which is not the client's doing.</summary>
    private const int ApplicationError = 13;

    /// <summary>Kestrel's Http2QueueOperationsExceeded: the client made more output than it reads.</summary>
    private const int Http2QueueOperationsExceeded = 60;

    /// <summary>How deep the exception chain is searched for a transport fault.</summary>
    private const int MaxDepth = 8;

    public static bool IsClientFault(string category, EventId eventId, Exception? exception)
    {
        if (!category.StartsWith(LogCategories.Kestrel, StringComparison.Ordinal))
        {
            return false;
        }

        if (category == BadRequests || (category == Http2 && eventId.Id == Http2QueueOperationsExceeded))
        {
            return true;
        }

        return eventId.Id != ApplicationError && IsTransportFault(exception);
    }

    /// <summary>The client's connection was reset, aborted or closed under a pending read or write.</summary>
    public static bool IsTransportFault(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < MaxDepth; depth++, exception = exception.InnerException)
        {
            if (exception is SocketException or ConnectionResetException or ConnectionAbortedException)
            {
                return true;
            }
        }

        return false;
    }
}
