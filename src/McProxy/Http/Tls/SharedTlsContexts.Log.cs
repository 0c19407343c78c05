namespace McProxy.Http.Tls;

internal sealed partial class SharedTlsContexts
{
    private static partial class Log
    {
        [LoggerMessage(330, LogLevel.Warning,
            "TLS connections for {Subject} cannot share one OpenSSL context ({Reason}): each gets its own, which costs memory and TLS 1.2 session resumption; the suites offered are the same",
            EventName = "TlsContextNotShared")]
        public static partial void NotShared(ILogger logger, string subject, string reason);
    }
}
