namespace McProxy.Routing.Pools;

internal sealed partial class HealthChecker
{
    private static partial class Log
    {
        [LoggerMessage(700, LogLevel.Warning, "{Transition}", EventName = "BackendDown")]
        public static partial void BackendDown(ILogger logger, string transition);

        [LoggerMessage(701, LogLevel.Information, "{Transition}", EventName = "BackendUp")]
        public static partial void BackendUp(ILogger logger, string transition);

        [LoggerMessage(702, LogLevel.Error, "A health check of backend {Backend} failed in the checker itself; it runs again next interval", EventName = "HealthCheckCrashed")]
        public static partial void CheckCrashed(ILogger logger, string backend, Exception exception);
    }
}
