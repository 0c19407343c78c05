namespace McProxy.ProxyProtocol;

/// <summary>Constants of the v2 binary format (HAProxy's proxy-protocol.txt, section 2.2).</summary>
internal static class ProxyV2Format
{
    /// <summary>The fixed header: 12-byte signature, version/command, family/transport, 16-bit length.</summary>
    public const int FixedLength = 16;

    public const int SignatureLength = 12;

    public const int InetAddressLength = 12;
    public const int Inet6AddressLength = 36;
    public const int UnixPathLength = 108;
    public const int UnixAddressLength = 2 * UnixPathLength;

    /// <summary>Version 2 in the high nibble, PROXY (1) in the low one.</summary>
    public const byte VersionCommandProxy = 0x21;

    /// <summary>AF_INET in the high nibble, STREAM in the low one.</summary>
    public const byte InetStream = 0x11;

    /// <summary>AF_INET6 in the high nibble, STREAM in the low one.</summary>
    public const byte Inet6Stream = 0x21;

    public const byte TypeAlpn = 0x01;
    public const byte TypeAuthority = 0x02;
    public const byte TypeCrc32c = 0x03;
    public const byte TypeNoop = 0x04;

    public const int TlvHeaderLength = 3;

    /// <summary>"\r\n\r\n\0\r\nQUIT\n": chosen by the spec so that no text protocol can start with it.</summary>
    public static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
}
