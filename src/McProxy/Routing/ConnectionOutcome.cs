namespace McProxy.Routing;

/// <summary>How a connection ended: the access log's "outcome", set by the listener's steps and by the route targets.</summary>
internal static class ConnectionOutcome
{
    public const string Ok = "ok";
    public const string Limit = "limit";
    public const string BlockedIp = "blocked_ip";
    public const string BlockedCidr = "blocked_cidr";
    public const string BlockedCountry = "blocked_country";
    public const string BlockedRate = "blocked_rate";
    public const string UntrustedProxy = "untrusted_proxy";
    public const string BadProxyHeader = "bad_proxy_header";
    public const string BadHello = "bad_hello";
    public const string HelloTimeout = "hello_timeout";
    public const string NoRoute = "no_route";

    /// <summary>The route matched but none of its backends may take a connection (all drained, disabled or down).</summary>
    public const string NoBackend = "no_backend";
    public const string BackendUnreachable = "backend_unreachable";

    /// <summary>An L7 connection whose TLS handshake with the proxy did not complete (timeout, no common version, bad alert).</summary>
    public const string TlsFailed = "tls_failed";
    public const string IdleTimeout = "idle_timeout";

    /// <summary>An L7 connection the client left (closed, reset, stopped reading) with a request still in flight.</summary>
    public const string ClientAborted = "client_aborted";
    public const string Shutdown = "shutdown";
    public const string Reset = "reset";
    public const string Error = "error";
}
