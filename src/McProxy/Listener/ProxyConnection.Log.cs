namespace McProxy.Listener;

internal sealed partial class ProxyConnection
{
    private static partial class Log
    {
        // The access line: one per connection, at Information so that it survives the default level. Its structured
        // fields (the JSON "State" object) are what operators parse; the message repeats them as key=value text.
        // ConnectionId ties it to this connection's debug and error lines.
        [LoggerMessage(1, LogLevel.Information,
            "{Listener} {Client} sni={Sni} route={Route} mode={Mode} backend={Backend} in={BytesIn} out={BytesOut} duration_ms={DurationMs} outcome={Outcome} detail={Detail} id={ConnectionId}",
            EventName = "Connection")]
        public static partial void Access(ILogger logger, string listener, string client, string sni, string route, string mode, string backend,
            long bytesIn, long bytesOut, long durationMs, string outcome, string detail, long connectionId);

        [LoggerMessage(2, LogLevel.Error, "Connection {ConnectionId} failed unexpectedly", EventName = "ConnectionError")]
        public static partial void UnexpectedError(ILogger logger, long connectionId, Exception exception);

        // What the client asked for, before routing: enough to tell a client's mistake (no SNI, an unexpected ALPN)
        // from a missing route. Debug only: the access line already carries the SNI.
        [LoggerMessage(3, LogLevel.Debug,
            "Connection {ConnectionId} from {Client} on {Listener}: ClientHello sni={Sni} alpn={Alpn} hello_bytes={HelloBytes}",
            EventName = "ClientHello")]
        public static partial void ClientHello(ILogger logger, long connectionId, string client, string listener, string sni, string alpn, int helloBytes);
    }
}
