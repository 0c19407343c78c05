namespace McProxy.Http;

/// <summary>How an L7 request ended: the request access line's "outcome".</summary>
internal static class RequestOutcome
{
    /// <summary>Answered (any status: a policy's 403 included) and, if upgraded, closed by either side.</summary>
    public const string Ok = "ok";

    /// <summary>The client closed or reset its connection, or stopped taking data, before the response was complete.</summary>
    public const string ClientAborted = "client_aborted";

    /// <summary>The client reset the request's HTTP/2 stream; the connection went on.</summary>
    public const string ClientReset = "client_reset";

    /// <summary>The backend failed: unreachable (502), silent past the activity timeout (504), or cut the response.</summary>
    public const string BackendError = "backend_error";

    /// <summary>No backend of the route could take the request (all drained, disabled or down): 503.</summary>
    public const string NoBackend = "no_backend";

    /// <summary>The server aborted the request (shutdown, a protocol error on the connection).</summary>
    public const string Aborted = "aborted";

    /// <summary>An unexpected exception in the pipeline.</summary>
    public const string Error = "error";
}
