using McProxy.ProxyProtocol;
using static McProxy.Tests.ProxyProtocol.ProxyTestBytes;

namespace McProxy.Tests.ProxyProtocol;

[UnitTest]
public sealed class ProxyHeaderParserV1Tests
{
    [Theory]
    // Not PROXY at all
    [InlineData("GET / HTTP/1.1\r\n", "bad signature")]
    [InlineData("PROXY\r\n", "bad signature")]
    [InlineData("PROXy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "bad signature")]
    [InlineData("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "bad v1 protocol")]
    // Protocol
    [InlineData("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "bad v1 protocol")]
    [InlineData("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "bad v1 protocol")]
    [InlineData("PROXY UNKNOWNX\r\n", "bad v1 protocol")]
    [InlineData("PROXY \r\n", "bad v1 protocol")]
    [InlineData("PROXY TCP4\r\n", "ends before the source address")]
    // Addresses
    [InlineData("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP4 0x7f.0.0.1 5.6.7.8 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n", "bad destination address")]
    [InlineData("PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n", "bad source address: TCP4 needs an IPv4")]
    [InlineData("PROXY TCP4 1.2.3.4 ::1 1 2\r\n", "bad destination address: TCP4 needs an IPv4")]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "bad source address: TCP6 needs an IPv6")]
    [InlineData("PROXY TCP6 ::1 5.6.7.8 1 2\r\n", "bad destination address: TCP6 needs an IPv6")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP6 [::1] ::1 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP6 1::2::3 ::1 1 2\r\n", "bad source address")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", "bad source address")]
    // Ports
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "bad source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", "bad source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", "bad source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", "bad source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 8o 2\r\n", "bad source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n", "bad source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", "bad destination port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "bad destination port")]
    // Field count and spacing
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "ends before the destination port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8\r\n", "ends before the source port")]
    [InlineData("PROXY TCP4 1.2.3.4\r\n", "ends before the destination address")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "data after the destination port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "data after the destination port")]
    // Refused as soon as the fault arrives, without waiting for the CRLF
    [InlineData("PROXY TCP7", "bad v1 protocol")]
    [InlineData("PROXY TCP4 1.2.3.2555", "bad source address")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 65536", "bad source port")]
    [InlineData("PROXY TCP6 ::1 1:::", "bad destination address")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ", "data after the destination port")]
    public void TryParse_MalformedV1_InvalidNamingTheFault(string text, string error)
    {
        var result = ProxyHeaderParser.TryParse(Ascii(text), out var header);

        Assert.Equal(ProxyParseStatus.Invalid, result.Status);
        Assert.Contains(error, result.Error, StringComparison.Ordinal);
        Assert.Equal(0, result.Consumed);
        Assert.Null(header);
    }

    [Fact]
    public void TryParse_V1Reaching107BytesWithoutCrlf_Invalid()
    {
        var data = Ascii("PROXY UNKNOWN " + new string('x', 93));
        Assert.Equal(107, data.Length);

        Assert.Equal(ProxyParseStatus.Incomplete, ProxyHeaderParser.TryParse(data.AsSpan(0, 106), out _).Status);
        var result = ProxyHeaderParser.TryParse(data, out var header);

        Assert.Equal(ProxyParseStatus.Invalid, result.Status);
        Assert.Equal("v1 header longer than 107 bytes", result.Error);
        Assert.Null(header);
    }

    [Fact]
    public void TryParse_V1WithCrlfEndingAtByte108_Invalid()
    {
        var data = Ascii("PROXY UNKNOWN " + new string('x', 92) + "\r\n");
        Assert.Equal(108, data.Length);

        var result = ProxyHeaderParser.TryParse(data, out _);

        Assert.Equal(ProxyParseStatus.Invalid, result.Status);
        Assert.Equal("v1 header longer than 107 bytes", result.Error);
    }

    [Fact]
    public void TryParse_V1WithCrlfEndingAtByte107_Complete()
    {
        var data = Ascii("PROXY UNKNOWN " + new string('x', 91) + "\r\n");
        Assert.Equal(107, data.Length);

        var result = ProxyHeaderParser.TryParse(data, out var header);

        Assert.Equal(ProxyParseResult.Complete(107), result);
        Assert.Same(ProxyHeader.V1Unknown, header);
    }

    [Fact]
    public void TryParse_V1LineWaitingForItsLf_Incomplete()
    {
        var result = ProxyHeaderParser.TryParse(Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), out var header);

        Assert.Equal(ProxyParseResult.Incomplete, result);
        Assert.Null(header);
    }

    [Fact]
    public void TryParse_V1CrInsideALine_Invalid()
    {
        var result = ProxyHeaderParser.TryParse(Ascii("PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n"), out _);

        Assert.Equal(ProxyParseStatus.Invalid, result.Status);
    }

    [Fact]
    public void TryParse_V1UnknownFollowedByAnything_IgnoresItUpToCrlf()
    {
        var result = ProxyHeaderParser.TryParse(Ascii("PROXY UNKNOWN not even \u0001 addresses\r\n\x16\x03"), out var header);

        Assert.Equal(ProxyParseResult.Complete(36), result);
        Assert.Null(header!.Source);
        Assert.Equal(ProxyCommand.Proxy, header.Command);
        Assert.Empty(header.Tlvs);
    }
}
