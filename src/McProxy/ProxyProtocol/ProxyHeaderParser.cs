namespace McProxy.ProxyProtocol;

/// <summary>
/// Parses a PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text and v2 binary) from the bytes a
/// connection has received so far. Call it again with everything received each time more arrives; it never
/// throws, never reads past the header, and allocates only for a complete header. Because every header is
/// refused once it would exceed <see cref="MaxHeaderBytes"/>, Incomplete never comes back for that many bytes:
/// a read buffer of that size (plus what TLS needs) always suffices.
/// </summary>
internal static class ProxyHeaderParser
{
    /// <summary>The spec's bound on the v1 line, "PROXY UNKNOWN" with two full IPv6 addresses and CRLF.</summary>
    public const int MaxV1Length = 107;

    /// <summary>What the v2 16-bit length field allows; <see cref="MaxHeaderBytes"/> is the bound enforced.</summary>
    public const int MaxV2Length = 16 + 65535;

    /// <summary>
    /// 4096: the largest v2 header accepted. A real one is at most the 16-byte fixed part, a 216-byte AF_UNIX
    /// block and a few TLVs (authority, ALPN, HAProxy's SSL TLV, a cloud's endpoint id) - well under 1 KiB.
    /// The header is read before the firewall runs, so 64 KiB per connection would be memory spent on an
    /// unvetted peer; 4 KiB leaves room for unusual senders without that.
    /// </summary>
    public const int MaxHeaderBytes = 4096;

    /// <summary>
    /// 32: the most TLVs kept (PP2_TYPE_NOOP padding not counted); a header with more is Invalid rather than
    /// truncated, so <see cref="ProxyHeader.Tlvs"/> is always the whole list. Senders use a handful; dozens means a
    /// bug or an attack, and each kept TLV costs an allocation.
    /// </summary>
    public const int MaxV2Tlvs = 32;

    /// <param name="data">All bytes received from the start of the connection.</param>
    /// <param name="header">The header when Complete, else null.</param>
    /// <returns>
    /// Complete with the header's length in Consumed (bytes after it belong to the TLS stream); Incomplete while
    /// the bytes are a valid prefix of some header; Invalid with an Error naming the fault.
    /// </returns>
    public static ProxyParseResult TryParse(ReadOnlySpan<byte> data, out ProxyHeader? header)
    {
        if (data.IsEmpty)
        {
            header = null;
            return ProxyParseResult.Incomplete;
        }

        // The first byte decides: 'P' can only begin "PROXY ", '\r' only the v2 signature.
        switch (data[0])
        {
            case (byte)'P':
                return ProxyV1Parser.TryParse(data, out header);
            case 0x0D:
                return ProxyV2Parser.TryParse(data, out header);
            default:
                header = null;
                return ProxyParseResult.Invalid("bad signature: not a PROXY v1 or v2 header");
        }
    }
}
