using McProxy.Config;

namespace McProxy.Routing.Pools;

/// <summary>
/// <c>[proxy] health_*</c> as the two parts that use them take them: the members' rise/fall policy and the checker's
/// timing. One place, so the routing state and the checker never read the section differently.
/// </summary>
internal static class HealthSettings
{
    /// <summary>Rise and fall from the config; a failed connect counts as a failed check at most once per interval.</summary>
    public static HealthPolicy Policy(ProxySettings proxy) => new(proxy.HealthRise, proxy.HealthFall, proxy.HealthInterval);

    /// <summary>The checker's interval and per-check timeout; its in-flight bound keeps its default.</summary>
    public static HealthCheckerOptions CheckerOptions(ProxySettings proxy) => new() { Interval = proxy.HealthInterval, Timeout = proxy.HealthTimeout };
}
