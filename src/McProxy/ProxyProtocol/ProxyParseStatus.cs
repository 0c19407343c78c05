namespace McProxy.ProxyProtocol;

/// <summary>What the bytes received so far amount to.</summary>
internal enum ProxyParseStatus
{
    /// <summary>A whole header; <see cref="ProxyParseResult.Consumed"/> says where it ends.</summary>
    Complete,

    /// <summary>A valid prefix of some header: read more and call again with everything received.</summary>
    Incomplete,

    /// <summary>No header can start with these bytes: reset the connection.</summary>
    Invalid,
}
