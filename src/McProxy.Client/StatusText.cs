using McProxy.Client.V1;

namespace McProxy.Client;

/// <summary>The lines `mc-proxy status` and `mcproxyctl status` print for a <see cref="GetStatusResponse"/>, written once for both.</summary>
public static class StatusText
{
    /// <summary>"mc-proxy VERSION, up Nd hh:mm:ss, N active connection(s), N firewall rule(s)".</summary>
    public static string Summary(GetStatusResponse status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var uptime = status.Uptime.ToTimeSpan();
        return $"mc-proxy {status.Version}, up {(int)uptime.TotalDays}d {uptime:hh\\:mm\\:ss}, {status.ActiveConnections} active connection(s), {status.FirewallRuleCount} firewall rule(s)";
    }

    /// <summary>"listener ADDR on BOUND: N route(s), N l7 policy(ies), N active, N total".</summary>
    public static string Listener(ListenerStatus listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return $"listener {listener.Addr} on {listener.BoundAddr}: {listener.RouteCount} route(s), {listener.L7PolicyCount} l7 policy(ies), {listener.ActiveConnections} active, {listener.TotalConnections} total";
    }
}
