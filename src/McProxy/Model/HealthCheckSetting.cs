namespace McProxy.Model;

/// <summary>What a route's <c>health_check</c> asks for: nothing, a TCP connect, or an HTTP GET of a path.</summary>
internal enum HealthCheckMode
{
    /// <summary>No active check; members stay up whatever happens ("none").</summary>
    None,

    /// <summary>A TCP connect ("tcp").</summary>
    Tcp,

    /// <summary>An HTTP GET of <see cref="HealthCheckSetting.Path"/> over the route's backend protocol; 2xx/3xx is healthy ("http:PATH", l7 only).</summary>
    Http,
}

/// <summary>A route's <c>health_check</c>, parsed: "none", "tcp" or "http:/path".</summary>
internal sealed record HealthCheckSetting(HealthCheckMode Mode, string Path = "")
{
    public static readonly HealthCheckSetting None = new(HealthCheckMode.None);

    public static readonly HealthCheckSetting Tcp = new(HealthCheckMode.Tcp);

    /// <summary>
    /// The check a route gets when it names none: a TCP check for a pool of several backends, none for a single
    /// backend, which then behaves as a route always has (HAProxy checks a server only when told to).
    /// </summary>
    public static HealthCheckSetting DefaultFor(int backends) => backends > 1 ? Tcp : None;

    /// <summary>"none", "tcp" or "http:" and a path starting with '/'; null for anything else (the rules say why).</summary>
    public static HealthCheckSetting? Parse(string text)
    {
        switch (text)
        {
            case "none":
                return None;
            case "tcp":
                return Tcp;
        }

        return text.StartsWith("http:/", StringComparison.Ordinal) ? new HealthCheckSetting(HealthCheckMode.Http, text["http:".Length..]) : null;
    }

    /// <summary>As written in the config and the API.</summary>
    public override string ToString() => Mode switch
    {
        HealthCheckMode.Tcp => "tcp",
        HealthCheckMode.Http => "http:" + Path,
        _ => "none",
    };
}
