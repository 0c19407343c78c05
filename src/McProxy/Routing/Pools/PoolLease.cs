namespace McProxy.Routing.Pools;

/// <summary>
/// A connection's (or request's) hold on the member it was sent to: counted in
/// <see cref="PoolMember.ActiveConnections"/> from the pick until the first <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// A struct so the pick allocates nothing. Keep it in one place (a <c>using</c> local or a mutable field) and
/// dispose that place: disposing twice releases once, but a copy is a second lease on paper only.
/// </remarks>
internal struct PoolLease : IDisposable
{
    private PoolMember? _member;

    internal PoolLease(PoolMember member)
    {
        _member = member;
        Member = member;
    }

    /// <summary>The member this lease counts on (still readable after disposal, for logs).</summary>
    public PoolMember Member { get; }

    /// <summary>Whether this lease still counts.</summary>
    public readonly bool IsHeld => _member is not null;

    public void Dispose() => Interlocked.Exchange(ref _member, null)?.Release();
}
