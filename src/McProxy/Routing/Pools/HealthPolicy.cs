namespace McProxy.Routing.Pools;

/// <summary>
/// How a <see cref="PoolMember"/>'s health moves: down after <see cref="Fall"/> failed checks in a row, up again
/// after <see cref="Rise"/> passed ones (<c>[proxy] health_rise</c>, <c>health_fall</c>, HAProxy's meaning).
/// </summary>
/// <param name="Rise">Passed checks in a row that bring a down member up.</param>
/// <param name="Fall">Failed checks in a row that take an up member down.</param>
/// <param name="PassiveInterval">
/// A failed connect on the data path counts as a failed check at most once per this interval (the active check
/// interval), so a burst of failed connects weighs as one check. Zero: failed connects are counted but mark nothing,
/// as for <c>health_check = "none"</c>, where no active check could ever bring the member back.
/// </param>
internal sealed record HealthPolicy(int Rise, int Fall, TimeSpan PassiveInterval)
{
    /// <summary>No checks: members stay up whatever happens on the data path.</summary>
    public static readonly HealthPolicy None = new(1, 1, TimeSpan.Zero);

    /// <summary>Whether failed connects count as failed checks.</summary>
    public bool PassiveMarking => PassiveInterval > TimeSpan.Zero;
}
