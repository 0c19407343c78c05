namespace McProxy;

internal sealed partial class ProxyServer
{
    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Warning, "Config: {Warning}", EventName = "ConfigWarning")]
        public static partial void ConfigWarning(ILogger logger, string warning);

        [LoggerMessage(101, LogLevel.Information, "Database {Path} was empty: seeded listeners, routes, policies and firewall rules from the config", EventName = "Seeded")]
        public static partial void Seeded(ILogger logger, string path);

        [LoggerMessage(102, LogLevel.Information, "Database {Path} is the source of truth: [[listeners]] and [firewall] rules in the config are ignored (change them with mcproxyctl)", EventName = "SeedSkipped")]
        public static partial void SeedSkipped(ILogger logger, string path);

        [LoggerMessage(103, LogLevel.Information, "Listener {Listener} loaded with {Routes} route(s)", EventName = "ListenerLoaded")]
        public static partial void ListenerLoaded(ILogger logger, string listener, int routes);

        [LoggerMessage(104, LogLevel.Warning, "Listener {Listener} route {Hostname} re-encrypts to its backend without verifying it (backend_tls without backend_ca)", EventName = "BackendUnverified")]
        public static partial void BackendUnverified(ILogger logger, string listener, string hostname);

        [LoggerMessage(105, LogLevel.Information, "Stopping: no new connections; draining {Open} open connection(s) for up to {TimeoutSeconds} s", EventName = "Draining")]
        public static partial void Draining(ILogger logger, int open, double timeoutSeconds);

        [LoggerMessage(106, LogLevel.Warning, "Drain timed out: closing {Open} connection(s)", EventName = "DrainTimedOut")]
        public static partial void DrainTimedOut(ILogger logger, int open);

        [LoggerMessage(107, LogLevel.Information, "Stopped", EventName = "Stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(120, LogLevel.Information, "Firewall: {Rules} rule(s) in force, rate limit {RateLimit} per {RateWindowSeconds} s (0: off)", EventName = "FirewallLoaded")]
        public static partial void FirewallLoaded(ILogger logger, int rules, int rateLimit, double rateWindowSeconds);

        [LoggerMessage(121, LogLevel.Warning, "Firewall: {Error}", EventName = "FirewallRuleIgnored")]
        public static partial void FirewallRuleIgnored(ILogger logger, string error);

        [LoggerMessage(122, LogLevel.Information, "Firewall: GeoIP database {Path} reloaded (built {BuildDate:yyyy-MM-dd})", EventName = "GeoIpReloaded")]
        public static partial void GeoIpReloaded(ILogger logger, string path, DateTime? buildDate);

        [LoggerMessage(123, LogLevel.Warning, "Firewall: {Error}; the previous GeoIP database stays in force", EventName = "GeoIpReloadFailed")]
        public static partial void GeoIpReloadFailed(ILogger logger, string error);

        [LoggerMessage(130, LogLevel.Warning, "Route {Route}: backend_ca cannot be read ({Error}); its HTTP health checks fail until it can", EventName = "HealthCheckCaUnreadable")]
        public static partial void HealthCheckCaUnreadable(ILogger logger, string route, string error);
    }
}
