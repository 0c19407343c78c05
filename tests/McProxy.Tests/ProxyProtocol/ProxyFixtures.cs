using static McProxy.Tests.ProxyProtocol.ProxyTestBytes;

namespace McProxy.Tests.ProxyProtocol;

/// <summary>Annotated valid headers, v1 and v2, each with the header it must parse to.</summary>
internal static class ProxyFixtures
{
    private const string MaxIPv6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

    // Declared before All, which reads it: static fields initialize in text order.
    private static readonly byte[] Inet6WithCrc32c =
        WithCrc32c(
            [
                .. Signature,
                0x21,               // version 2, command PROXY
                0x21,               // AF_INET6, STREAM
                0x00, 0x42,         // 66 bytes follow: 36 address + 11 + 12 + 7 TLV
                0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
                0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x07,
                0xDC, 0x04,
                0x01, 0xBB,
                0x01, 0x00, 0x08,   // PP2_TYPE_ALPN, 8 bytes
                .. Ascii("http/1.1"),
                0x02, 0x00, 0x09,   // PP2_TYPE_AUTHORITY, 9 bytes
                .. Ascii("a.example"),
                0x03, 0x00, 0x04,   // PP2_TYPE_CRC32C, 4 bytes at offset 78, filled in by WithCrc32c
                0x00, 0x00, 0x00, 0x00,
            ],
            valueOffset: 78);

    public static readonly ProxyFixture[] All =
    [
        new(
            "v1 TCP4",
            Ascii("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n"),
            "v1 Proxy InterNetwork 192.0.2.1:56324 -> 198.51.100.7:443"),
        new(
            "v1 TCP6",
            Ascii("PROXY TCP6 2001:db8::1 2001:db8:0:1::7 56324 443\r\n"),
            "v1 Proxy InterNetworkV6 [2001:db8::1]:56324 -> [2001:db8:0:1::7]:443"),
        new(
            "v1 TCP6 mapped and loopback, extreme ports",
            Ascii("PROXY TCP6 ::ffff:192.0.2.1 ::1 0 65535\r\n"),
            "v1 Proxy InterNetworkV6 [::ffff:192.0.2.1]:0 -> [::1]:65535"),
        new(
            "v1 TCP6 longest possible (104 bytes)",
            Ascii($"PROXY TCP6 {MaxIPv6} {MaxIPv6} 65535 65535\r\n"),
            $"v1 Proxy InterNetworkV6 [{MaxIPv6}]:65535 -> [{MaxIPv6}]:65535"),
        new(
            "v1 UNKNOWN",
            Ascii("PROXY UNKNOWN\r\n"),
            "v1 Proxy Unspecified - -> -"),
        new(
            "v1 UNKNOWN with the spec's worst case (107 bytes)",
            Ascii($"PROXY UNKNOWN {MaxIPv6} {MaxIPv6} 65535 65535\r\n"),
            "v1 Proxy Unspecified - -> -"),
        new(
            "v2 PROXY INET",
            [
                .. Signature,
                0x21,                   // version 2, command PROXY
                0x11,                   // AF_INET, STREAM
                0x00, 0x0C,             // 12 bytes follow: the INET address block
                192, 0, 2, 1,           // source 192.0.2.1
                198, 51, 100, 7,        // destination 198.51.100.7
                0xDC, 0x04,             // source port 56324
                0x01, 0xBB,             // destination port 443
            ],
            "v2 Proxy InterNetwork 192.0.2.1:56324 -> 198.51.100.7:443"),
        new(
            "v2 PROXY INET transport UNSPEC",
            [
                .. Signature,
                0x21,                   // version 2, command PROXY
                0x10,                   // AF_INET, transport UNSPEC
                0x00, 0x0C,
                10, 0, 0, 1,            // source 10.0.0.1
                10, 0, 0, 2,            // destination 10.0.0.2
                0x00, 0x50,             // source port 80
                0x00, 0x00,             // destination port 0
            ],
            "v2 Proxy InterNetwork 10.0.0.1:80 -> 10.0.0.2:0"),
        new(
            "v2 PROXY INET6",
            [
                .. Signature,
                0x21,                   // version 2, command PROXY
                0x21,                   // AF_INET6, STREAM
                0x00, 0x24,             // 36 bytes follow
                0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // source 2001:db8::1
                0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x07, // destination 2001:db8:0:1::7
                0xDC, 0x04,             // source port 56324
                0x01, 0xBB,             // destination port 443
            ],
            "v2 Proxy InterNetworkV6 [2001:db8::1]:56324 -> [2001:db8:0:1::7]:443"),
        new(
            "v2 PROXY UNIX",
            [
                .. Signature,
                0x21,                   // version 2, command PROXY
                0x31,                   // AF_UNIX, STREAM
                0x00, 0xD8,             // 216 bytes follow: two 108-byte sun_path
                .. UnixPath("/run/edge.sock"),
                .. UnixPath("/run/mc-proxy.sock"),
            ],
            "v2 Proxy Unix - -> - unix /run/edge.sock -> /run/mc-proxy.sock"),
        new(
            "v2 PROXY UNSPEC",
            [
                .. Signature,
                0x21,                   // version 2, command PROXY
                0x00,                   // AF_UNSPEC, transport UNSPEC
                0x00, 0x00,             // nothing follows
            ],
            "v2 Proxy Unspecified - -> -"),
        new(
            "v2 PROXY UNSPEC with an opaque block",
            [
                .. Signature,
                0x21,                   // version 2, command PROXY
                0x00,                   // AF_UNSPEC: the block is skipped, not read as TLVs
                0x00, 0x04,
                0xDE, 0xAD, 0xBE, 0xEF,
            ],
            "v2 Proxy Unspecified - -> -"),
        new(
            "v2 LOCAL",
            [
                .. Signature,
                0x20,                   // version 2, command LOCAL (a health check)
                0x00,                   // AF_UNSPEC
                0x00, 0x00,
            ],
            "v2 Local Unspecified - -> -"),
        new(
            "v2 LOCAL with an INET block, ignored",
            [
                .. Signature,
                0x20,                   // version 2, command LOCAL
                0x11,                   // AF_INET, STREAM: ignored for LOCAL
                0x00, 0x0C,
                192, 0, 2, 1, 198, 51, 100, 7, 0xDC, 0x04, 0x01, 0xBB,
            ],
            "v2 Local Unspecified - -> -"),
        new(
            "v2 PROXY INET with TLVs",
            [
                .. Signature,
                0x21,                   // version 2, command PROXY
                0x11,                   // AF_INET, STREAM
                0x00, 0x2D,             // 45 bytes follow: 12 address + 5 + 17 + 6 + 5 TLV
                192, 0, 2, 1,
                198, 51, 100, 7,
                0xDC, 0x04,
                0x01, 0xBB,
                0x01, 0x00, 0x02,       // PP2_TYPE_ALPN, 2 bytes
                (byte)'h', (byte)'2',
                0x02, 0x00, 0x0E,       // PP2_TYPE_AUTHORITY, 14 bytes
                .. Ascii("mc.example.net"),
                0xE0, 0x00, 0x03,       // PP2_TYPE_MIN_CUSTOM, 3 bytes
                0x01, 0x02, 0x03,
                0x04, 0x00, 0x02,       // PP2_TYPE_NOOP, 2 bytes of padding: not kept
                0x00, 0x00,
            ],
            "v2 Proxy InterNetwork 192.0.2.1:56324 -> 198.51.100.7:443 tlv 01=6832 tlv 02=6D632E6578616D706C652E6E6574 tlv E0=010203 authority=mc.example.net alpn=h2"),
        new(
            "v2 PROXY INET6 with TLVs and CRC32C",
            Inet6WithCrc32c,
            $"v2 Proxy InterNetworkV6 [2001:db8::1]:56324 -> [2001:db8:0:1::7]:443 tlv 01=687474702F312E31 tlv 02=612E6578616D706C65 tlv 03={Convert.ToHexString(Inet6WithCrc32c.AsSpan(78, 4))} authority=a.example alpn=http/1.1"),
        new(
            "v2 PROXY UNIX with an abstract source and a TLV",
            [
                .. Signature,
                0x21,                   // version 2, command PROXY
                0x30,                   // AF_UNIX, transport UNSPEC
                0x00, 0xDE,             // 222 bytes follow: 216 address + 6 TLV
                .. UnixPath("\0edge"),  // Linux abstract socket "@edge"
                .. UnixPath("/run/mc-proxy.sock"),
                0x02, 0x00, 0x03,       // PP2_TYPE_AUTHORITY, 3 bytes
                .. Ascii("a.b"),
            ],
            "v2 Proxy Unix - -> - unix @edge -> /run/mc-proxy.sock tlv 02=612E62 authority=a.b"),
    ];

    public static TheoryData<string> Names => new(All.Select(f => f.Name));

    public static ProxyFixture Get(string name) => All.Single(f => f.Name == name);
}
