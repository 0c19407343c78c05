namespace McProxy.Net;

internal sealed partial class FileWatcher
{
    private static partial class Log
    {
        [LoggerMessage(124, LogLevel.Error, "A watched file's check failed; it is tried again at the next tick", EventName = "FileCheckFailed")]
        public static partial void CheckFailed(ILogger logger, Exception exception);
    }
}
