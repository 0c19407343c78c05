namespace McProxy.ProxyProtocol;

/// <summary>
/// The outcome of <see cref="ProxyHeaderParser.TryParse"/>. <see cref="Consumed"/> is the header's length when
/// <see cref="Status"/> is Complete and 0 otherwise; <see cref="Error"/> is set only when Invalid, and is always a
/// literal so that rejecting garbage allocates nothing.
/// </summary>
internal readonly record struct ProxyParseResult(ProxyParseStatus Status, int Consumed, string? Error)
{
    public static ProxyParseResult Incomplete => new(ProxyParseStatus.Incomplete, 0, null);

    public static ProxyParseResult Complete(int consumed) => new(ProxyParseStatus.Complete, consumed, null);

    public static ProxyParseResult Invalid(string error) => new(ProxyParseStatus.Invalid, 0, error);
}
