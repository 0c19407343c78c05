namespace McProxy.Admin;

internal sealed partial class AdminServer
{
    private static partial class Log
    {
        [LoggerMessage(600, LogLevel.Information, "Admin API serving on {EndPoint} ({Security})", EventName = "AdminServing")]
        public static partial void Serving(ILogger logger, string endPoint, string security);
    }
}
