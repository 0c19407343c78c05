namespace McProxy.Model;

/// <summary>
/// Bounds on the configured durations. Each is positive and at most a maximum that is long for its purpose and far
/// below what timers and cancellation sources accept (about 24.8 days): "600h" used to validate and then fail every
/// L7 request with ArgumentOutOfRangeException.
/// </summary>
internal static class TimeoutRules
{
    /// <summary>Nothing shorter is a real deadline: the sweeper that enforces deadlines ticks at 20 ms at the finest.</summary>
    public static readonly TimeSpan Min = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// The shortest value each key takes: <see cref="Min"/>, except for the health-check timing, where 100 ms keeps a
    /// pool of 64 backends from turning into a stream of probes, and a check has to cover a real round trip.
    /// </summary>
    public static TimeSpan MinOf(string key) => key is "health_interval" or "health_timeout" ? TimeSpan.FromMilliseconds(100) : Min;

    /// <summary>The longest value each key takes, and why.</summary>
    public static TimeSpan? MaxOf(string key) => key switch
    {
        // Linux gives up on an unanswered SYN after about two minutes; waiting longer only holds the client.
        "connect_timeout" => TimeSpan.FromMinutes(5),

        // The PROXY header and the ClientHello come in the first round trips; a longer wait only helps a slowloris.
        "hello_timeout" => TimeSpan.FromMinutes(5),

        // Long-lived quiet streams (WebSocket, gRPC) send keep-alives well within a day; past that a dead peer holds its slot.
        "idle_timeout" => TimeSpan.FromHours(24),

        // systemd's stop timeout must exceed the drain; an hour-long drain is already a stuck one.
        "shutdown_timeout" => TimeSpan.FromHours(1),

        // A backend checked less often than hourly is not health-checked; a check waiting an hour is a hung one.
        "health_interval" or "health_timeout" => TimeSpan.FromHours(1),

        // A fixed rate window is a brake on hammering, not a quota; past an hour the counter stops meaning "rate".
        "rate_window" => TimeSpan.FromHours(1),
        _ => null,
    };

    /// <summary>The error for <paramref name="key"/> when <paramref name="value"/> is out of its bounds, else null.</summary>
    public static RuleError? Check(string key, TimeSpan value)
    {
        var max = MaxOf(key) ?? throw new ArgumentException($"no bounds for {key}", nameof(key));
        var min = MinOf(key);
        if (value < min || value > max)
        {
            return new RuleError(key, $"{Describe(value)} is out of bounds: from {Describe(min)} to {Describe(max)}");
        }

        return null;
    }

    private static string Describe(TimeSpan value) => value.Ticks switch
    {
        var t when t % TimeSpan.TicksPerHour == 0 => $"{(long)value.TotalHours}h",
        var t when t % TimeSpan.TicksPerMinute == 0 => $"{(long)value.TotalMinutes}m",
        var t when t % TimeSpan.TicksPerSecond == 0 => $"{(long)value.TotalSeconds}s",
        _ => $"{value.TotalMilliseconds}ms",
    };
}
