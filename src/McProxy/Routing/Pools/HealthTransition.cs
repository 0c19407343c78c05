namespace McProxy.Routing.Pools;

/// <summary>
/// A member's health changed: raised once per change, for the log line and the counter.
/// </summary>
/// <param name="Member">The member whose health changed.</param>
/// <param name="Up">Its new health.</param>
/// <param name="Checks">The checks in a row that decided it (fall or rise).</param>
/// <param name="Reason">What the last check saw ("connection refused", "HTTP 500", "timed out after 2s", "HTTP 200").</param>
/// <param name="Passive">Whether the deciding failure was a failed connect on the data path, not an active check.</param>
internal readonly record struct HealthTransition(PoolMember Member, bool Up, int Checks, string Reason, bool Passive)
{
    /// <summary>"backend 10.0.0.1:80 down after 3 failed checks: connection refused".</summary>
    public string Describe() => Up
        ? $"backend {Member.Address} up after {Checks} passed checks: {Reason}"
        : $"backend {Member.Address} down after {Checks} failed {(Passive ? "checks (the last a failed connect)" : "checks")}: {Reason}";
}
