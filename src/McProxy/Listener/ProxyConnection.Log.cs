namespace McProxy.Listener;

internal sealed partial class ProxyConnection
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information,
            "{Listener} {Client} sni={Sni} route={Route} mode={Mode} backend={Backend} in={BytesIn} out={BytesOut} duration_ms={DurationMs} outcome={Outcome} {Detail}",
            EventName = "Connection")]
        public static partial void Access(ILogger logger, string listener, string client, string sni, string route, string mode, string backend,
            long bytesIn, long bytesOut, long durationMs, string outcome, string detail);

        [LoggerMessage(2, LogLevel.Error, "Connection {ConnectionId} failed unexpectedly", EventName = "ConnectionError")]
        public static partial void UnexpectedError(ILogger logger, long connectionId, Exception exception);
    }
}
