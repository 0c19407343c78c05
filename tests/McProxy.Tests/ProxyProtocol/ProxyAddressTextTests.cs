using System.Net;
using McProxy.ProxyProtocol;
using static McProxy.Tests.ProxyProtocol.ProxyTestBytes;

namespace McProxy.Tests.ProxyProtocol;

[UnitTest]
public sealed class ProxyAddressTextTests
{
    [Theory]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("1::")]
    [InlineData("2001:db8::1")]
    [InlineData("2001:DB8:0:1::7")]
    [InlineData("1:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:7::")]
    [InlineData("::2:3:4:5:6:7:8")]
    [InlineData("1:2::7:8")]
    [InlineData("0000:0000:0000:0000:0000:0000:0000:0001")]
    [InlineData("::ffff:192.0.2.1")]
    [InlineData("::1.2.3.4")]
    [InlineData("1:2:3:4:5:6:1.2.3.4")]
    [InlineData("1:2:3:4:5::1.2.3.4")]
    public void ParseIPv6_ValidText_SameBytesAsIPAddressAndEveryPrefixIncomplete(string text)
    {
        var bytes = Ascii(text);
        var address = new byte[16];

        Assert.Equal(ProxyParseStatus.Complete, ProxyAddressText.ParseIPv6(bytes, whole: true, address));
        Assert.Equal(IPAddress.Parse(text).GetAddressBytes(), address);
        for (var length = 0; length <= bytes.Length; length++)
        {
            Assert.Equal(ProxyParseStatus.Incomplete, ProxyAddressText.ParseIPv6(bytes.AsSpan(0, length), whole: false, new byte[16]));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":1")]
    [InlineData("1:")]
    [InlineData(":::")]
    [InlineData("1:::")]
    [InlineData("1::2::3")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("::1:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:7::8")]
    [InlineData("12345::")]
    [InlineData("g::")]
    [InlineData("fe80::1%eth0")]
    [InlineData("[::1]")]
    [InlineData("1.2.3.4")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("::ffff:1.2.3")]
    [InlineData("::ffff:01.2.3.4")]
    [InlineData("::1.2.3.4:5")]
    [InlineData("::a1.2.3.4")]
    public void ParseIPv6_InvalidText_Invalid(string text)
    {
        Assert.Equal(ProxyParseStatus.Invalid, ProxyAddressText.ParseIPv6(Ascii(text), whole: true, new byte[16]));
    }

    [Theory]
    [InlineData("1:::")]
    [InlineData("12345")]
    [InlineData("1::2::")]
    [InlineData("1:2:3:4:5:6:7:8:")]
    [InlineData("::1:2:3:4:5:6:7:")]
    [InlineData("1:2:3:4:5:6:7:1.")]
    [InlineData("::256.")]
    [InlineData(":x")]
    public void ParseIPv6_PrefixNoAddressCanStartWith_InvalidBeforeTheEnd(string text)
    {
        Assert.Equal(ProxyParseStatus.Invalid, ProxyAddressText.ParseIPv6(Ascii(text), whole: false, new byte[16]));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("192.0.2.1")]
    [InlineData("10.0.0.10")]
    public void ParseIPv4_ValidText_SameBytesAsIPAddressAndEveryPrefixIncomplete(string text)
    {
        var bytes = Ascii(text);
        var address = new byte[4];

        Assert.Equal(ProxyParseStatus.Complete, ProxyAddressText.ParseIPv4(bytes, whole: true, address));
        Assert.Equal(IPAddress.Parse(text).GetAddressBytes(), address);
        for (var length = 0; length <= bytes.Length; length++)
        {
            Assert.Equal(ProxyParseStatus.Incomplete, ProxyAddressText.ParseIPv4(bytes.AsSpan(0, length), whole: false, new byte[4]));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1.2.3.")]
    [InlineData(".1.2.3")]
    [InlineData("1..2.3")]
    [InlineData("256.0.0.0")]
    [InlineData("01.2.3.4")]
    [InlineData("1.2.3.00")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("1.2.3.-4")]
    [InlineData("1.2.3.4 ")]
    public void ParseIPv4_InvalidText_Invalid(string text)
    {
        Assert.Equal(ProxyParseStatus.Invalid, ProxyAddressText.ParseIPv4(Ascii(text), whole: true, new byte[4]));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    [InlineData("443", 443)]
    [InlineData("65535", 65535)]
    public void ParsePort_ValidText_Value(string text, int expected)
    {
        Assert.Equal(ProxyParseStatus.Complete, ProxyAddressText.ParsePort(Ascii(text), whole: true, out var port));
        Assert.Equal(expected, port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("65536")]
    [InlineData("99999")]
    [InlineData("123456")]
    [InlineData("+80")]
    [InlineData("-1")]
    [InlineData("080")]
    [InlineData("00")]
    [InlineData("8o")]
    public void ParsePort_InvalidText_Invalid(string text)
    {
        Assert.Equal(ProxyParseStatus.Invalid, ProxyAddressText.ParsePort(Ascii(text), whole: true, out _));
    }
}
