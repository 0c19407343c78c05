using System.Net;
using McProxy.Net;

namespace McProxy.Tests.Net;

[UnitTest]
public sealed class IpRangesTests
{
    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7/32")]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("2001:db8::1", "2001:db8::1/128")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7/32")]
    public void Parses(string text, string expected)
    {
        Assert.True(IpRanges.TryParse(text, out var network));
        Assert.Equal(expected, network.ToString());
    }

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("2001:db8::1/32")]
    [InlineData("fe80::1%eth0")]
    [InlineData("example.net")]
    [InlineData("")]
    public void Rejects(string text) => Assert.False(IpRanges.TryParse(text, out _));

    [Fact]
    public void Normalize_MapsIPv4MappedAddressesToIPv4()
    {
        Assert.Equal(IPAddress.Parse("192.0.2.7"), IpRanges.Normalize(IPAddress.Parse("::ffff:192.0.2.7")));
        Assert.Equal(IPAddress.IPv6Loopback, IpRanges.Normalize(IPAddress.IPv6Loopback));
    }
}
