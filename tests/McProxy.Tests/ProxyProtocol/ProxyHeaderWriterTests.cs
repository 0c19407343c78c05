using System.Net;
using System.Net.Sockets;
using McProxy.ProxyProtocol;
using static McProxy.Tests.ProxyProtocol.ProxyTestBytes;

namespace McProxy.Tests.ProxyProtocol;

[UnitTest]
public sealed class ProxyHeaderWriterTests
{
    [Fact]
    public void WriteV2_IPv4WithAuthorityAndAlpn_MatchesAnnotatedBytes()
    {
        byte[] expected =
        [
            .. Signature,
            0x21,                       // version 2, command PROXY
            0x11,                       // AF_INET, STREAM
            0x00, 0x22,                 // 34 bytes follow: 12 address + 5 ALPN + 17 authority
            203, 0, 113, 9,             // source 203.0.113.9
            192, 0, 2, 10,              // destination 192.0.2.10
            0xC3, 0x50,                 // source port 50000
            0x01, 0xBB,                 // destination port 443
            0x01, 0x00, 0x02,           // PP2_TYPE_ALPN, 2 bytes
            (byte)'h', (byte)'2',
            0x02, 0x00, 0x0E,           // PP2_TYPE_AUTHORITY, 14 bytes
            .. Ascii("mc.example.net"),
        ];

        var written = Write(new IPEndPoint(IPAddress.Parse("203.0.113.9"), 50000), new IPEndPoint(IPAddress.Parse("192.0.2.10"), 443), "mc.example.net", "h2");

        Assert.Equal(expected, written);
    }

    [Fact]
    public void WriteV2_IPv6AgainstMappedIPv4WithoutTlvs_MatchesAnnotatedBytes()
    {
        byte[] expected =
        [
            .. Signature,
            0x21,                       // version 2, command PROXY
            0x21,                       // AF_INET6, STREAM: one side is real IPv6
            0x00, 0x24,                 // 36 bytes follow, no TLVs
            0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // source 2001:db8::1
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 10,      // destination 192.0.2.10, mapped
            0xC3, 0x50,                 // source port 50000
            0x01, 0xBB,                 // destination port 443
        ];

        var written = Write(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 50000), new IPEndPoint(IPAddress.Parse("192.0.2.10"), 443), null, null);

        Assert.Equal(expected, written);
    }

    [Theory]
    [InlineData("203.0.113.9", "192.0.2.10", null, null, AddressFamily.InterNetwork, "203.0.113.9", "192.0.2.10")]
    [InlineData("203.0.113.9", "192.0.2.10", "mc.example.net", "http/1.1", AddressFamily.InterNetwork, "203.0.113.9", "192.0.2.10")]
    [InlineData("2001:db8::1", "2001:db8::2", null, null, AddressFamily.InterNetworkV6, "2001:db8::1", "2001:db8::2")]
    [InlineData("2001:db8::1", "2001:db8::2", "a.example", "h2", AddressFamily.InterNetworkV6, "2001:db8::1", "2001:db8::2")]
    [InlineData("::ffff:203.0.113.9", "::ffff:192.0.2.10", "a.example", null, AddressFamily.InterNetwork, "203.0.113.9", "192.0.2.10")]
    [InlineData("::ffff:203.0.113.9", "192.0.2.10", null, "h2", AddressFamily.InterNetwork, "203.0.113.9", "192.0.2.10")]
    [InlineData("203.0.113.9", "2001:db8::2", "a.example", "h2", AddressFamily.InterNetworkV6, "::ffff:203.0.113.9", "2001:db8::2")]
    [InlineData("::ffff:203.0.113.9", "::1", null, null, AddressFamily.InterNetworkV6, "::ffff:203.0.113.9", "::1")]
    public void WriteV2_ThenTryParse_SameEndpointsAndTlvs(
        string source, string destination, string? authority, string? alpn, AddressFamily family, string parsedSource, string parsedDestination)
    {
        var written = Write(new IPEndPoint(IPAddress.Parse(source), 61000), new IPEndPoint(IPAddress.Parse(destination), 8443), authority, alpn);

        var result = ProxyHeaderParser.TryParse(Concat(written, TlsBytes), out var header);

        Assert.Equal(ProxyParseResult.Complete(written.Length), result);
        Assert.Equal(2, header!.Version);
        Assert.Equal(ProxyCommand.Proxy, header.Command);
        Assert.Equal(family, header.Family);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(parsedSource), 61000), header.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(parsedDestination), 8443), header.Destination);
        Assert.Equal(authority, header.Authority);
        Assert.Equal(alpn, header.Alpn);
        Assert.Equal((authority is null ? 0 : 1) + (alpn is null ? 0 : 1), header.Tlvs.Count);
    }

    [Fact]
    public void WriteV2_EmptyAuthorityAndAlpn_NoTlvs()
    {
        var written = Write(new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), "", "");

        Assert.Equal(16 + 12, written.Length);
    }

    [Fact]
    public void WriteV2_NonAsciiAuthority_RoundTripsAsUtf8()
    {
        var written = Write(new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), "bücher.example", null);

        ProxyHeaderParser.TryParse(written, out var header);

        Assert.Equal("bücher.example", header!.Authority);
        Assert.Equal(15, header.Tlvs[0].Value.Length);
    }

    [Theory]
    [InlineData(255, true)]
    [InlineData(256, false)]
    [InlineData(20000, false)]
    public void WriteV2_AuthorityLength_KeptUpTo255BytesElseLeftOut(int length, bool kept)
    {
        var authority = new string('a', length);

        var written = Write(new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), authority, "h2");
        ProxyHeaderParser.TryParse(written, out var header);

        Assert.Equal(kept ? authority : null, header!.Authority);
        Assert.Equal("h2", header.Alpn);
        Assert.True(written.Length <= ProxyHeaderWriter.MaxWrittenLength);
    }

    [Fact]
    public void WriteV2_MultiByteCharactersOver255Bytes_LeftOut()
    {
        // 128 characters, 256 bytes of UTF-8.
        var written = Write(new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), new string('ü', 128), null);

        Assert.Equal(16 + 12, written.Length);
    }

    [Fact]
    public void WriteV2_LongestHeader_FitsMaxWrittenLength()
    {
        var longest = new string('a', ProxyHeaderWriter.MaxTlvValueLength);

        var written = Write(new IPEndPoint(IPAddress.IPv6Loopback, 1), new IPEndPoint(IPAddress.IPv6Loopback, 2), longest, longest);

        Assert.Equal(ProxyHeaderWriter.MaxWrittenLength, written.Length);
    }

    [Fact]
    public void WriteV2_DestinationTooShort_ThrowsArgumentException()
    {
        var source = new IPEndPoint(IPAddress.Loopback, 1);
        var length = ProxyHeaderWriter.GetV2Length(source, source, "a.example", null);

        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV2(new byte[length - 1], source, source, "a.example", null));
    }

    private static byte[] Write(IPEndPoint source, IPEndPoint destination, string? authority, string? alpn)
    {
        var buffer = new byte[ProxyHeaderWriter.MaxWrittenLength + 10];
        var written = ProxyHeaderWriter.WriteV2(buffer, source, destination, authority, alpn);
        Assert.Equal(ProxyHeaderWriter.GetV2Length(source, destination, authority, alpn), written);
        return buffer[..written];
    }
}
