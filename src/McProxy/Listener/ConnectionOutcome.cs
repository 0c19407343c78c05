namespace McProxy.Listener;

/// <summary>How a connection ended: the access log's "outcome" and, for blocks, the metrics' reason label.</summary>
internal static class ConnectionOutcome
{
    public const string Ok = "ok";
    public const string Limit = "limit";
    public const string BadHello = "bad_hello";
    public const string HelloTimeout = "hello_timeout";
    public const string NoRoute = "no_route";
    public const string BackendUnreachable = "backend_unreachable";
    public const string IdleTimeout = "idle_timeout";
    public const string Shutdown = "shutdown";
    public const string Reset = "reset";
    public const string Error = "error";
}
