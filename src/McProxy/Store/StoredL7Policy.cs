using McProxy.Model;

namespace McProxy.Store;

/// <summary>A row of <c>l7_policies</c>: an <see cref="L7Policy"/> with its id and its route's.</summary>
internal sealed record StoredL7Policy(long Id, long RouteId, string Type, string Value)
{
    public L7Policy ToPolicy() => new(Type, Value);
}
