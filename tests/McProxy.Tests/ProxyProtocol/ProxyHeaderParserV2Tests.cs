using System.Text;
using McProxy.ProxyProtocol;
using static McProxy.Tests.ProxyProtocol.ProxyTestBytes;

namespace McProxy.Tests.ProxyProtocol;

[UnitTest]
public sealed class ProxyHeaderParserV2Tests
{
    private const string Sig = "0D0A0D0A000D0A515549540A";

    // 192.0.2.1:56324 -> 198.51.100.7:443
    private const string Inet = "C0000201 C6336407 DC04 01BB";

    [Theory]
    [InlineData("0D0A0D0A000D0A515549580A", "bad signature")]
    [InlineData("0D0A0D0A0A", "bad signature")]
    [InlineData("16030102", "bad signature")]
    [InlineData(Sig + "11", "unsupported version nibble")]
    [InlineData(Sig + "31", "unsupported version nibble")]
    [InlineData(Sig + "01", "unsupported version nibble")]
    [InlineData(Sig + "22", "unsupported v2 command")]
    [InlineData(Sig + "2F", "unsupported v2 command")]
    [InlineData(Sig + "21 41", "unsupported v2 address family")]
    [InlineData(Sig + "21 F1", "unsupported v2 address family")]
    [InlineData(Sig + "21 12", "DGRAM")]
    [InlineData(Sig + "21 22", "DGRAM")]
    [InlineData(Sig + "21 32", "DGRAM")]
    [InlineData(Sig + "21 02", "DGRAM")]
    [InlineData(Sig + "21 13", "unsupported v2 transport")]
    [InlineData(Sig + "21 11 0FF1", "v2 length overruns the 4096-byte header limit")]
    [InlineData(Sig + "21 11 FFFF", "v2 length overruns the 4096-byte header limit")]
    [InlineData(Sig + "20 00 FFFF", "v2 length overruns the 4096-byte header limit")]
    [InlineData(Sig + "21 11 000B", "shorter than its address family needs")]
    [InlineData(Sig + "21 21 0023", "shorter than its address family needs")]
    [InlineData(Sig + "21 31 00D7", "shorter than its address family needs")]
    [InlineData(Sig + "21 11 000E" + Inet + "0100", "TLV overruns header")]
    [InlineData(Sig + "21 11 0011" + Inet + "01 0003 6832", "TLV overruns header")]
    [InlineData(Sig + "21 11 0016" + Inet + "01 0002 6832 02 0003 6162", "TLV overruns header")]
    [InlineData(Sig + "21 11 0012" + Inet + "03 0003 000000", "CRC32C TLV is not 4 bytes")]
    [InlineData(Sig + "21 11 0013" + Inet + "03 0004 DEADBEEF", "CRC32C mismatch")]
    public void TryParse_MalformedV2_InvalidNamingTheFault(string hex, string error)
    {
        var result = ProxyHeaderParser.TryParse(Hex(hex), out var header);

        Assert.Equal(ProxyParseStatus.Invalid, result.Status);
        Assert.Contains(error, result.Error, StringComparison.Ordinal);
        Assert.Equal(0, result.Consumed);
        Assert.Null(header);
    }

    [Fact]
    public void TryParse_EmptyInput_Incomplete()
    {
        Assert.Equal(ProxyParseResult.Incomplete, ProxyHeaderParser.TryParse([], out var header));
        Assert.Null(header);
    }

    [Fact]
    public void TryParse_TlvOverrunningTheDeclaredLength_InvalidBeforeTheRestArrives()
    {
        // Declares 100 bytes, but the first TLV claims 0xFFFF: no continuation can be valid.
        var data = Hex(Sig + "21 11 0064" + Inet + "E0 FFFF");

        var result = ProxyHeaderParser.TryParse(data, out _);

        Assert.Equal(ProxyParseStatus.Invalid, result.Status);
        Assert.Equal("TLV overruns header", result.Error);
    }

    [Fact]
    public void TryParse_DeclaredLengthNotYetArrived_Incomplete()
    {
        var data = Hex(Sig + "21 11 0064" + Inet + "E0 0005 0102");

        Assert.Equal(ProxyParseResult.Incomplete, ProxyHeaderParser.TryParse(data, out _));
    }

    [Fact]
    public void TryParse_LengthFillingMaxHeaderBytes_Complete()
    {
        // 4080 = 12 address + one NOOP TLV of 4065 bytes: the whole header is exactly 4096.
        var data = Concat(Hex(Sig + "21 11 0FF0" + Inet + "04 0FE1"), new byte[4065]);
        Assert.Equal(ProxyHeaderParser.MaxHeaderBytes, data.Length);

        var result = ProxyHeaderParser.TryParse(data, out var header);

        Assert.Equal(ProxyParseResult.Complete(4096), result);
        Assert.Empty(header!.Tlvs);
    }

    [Fact]
    public void TryParse_32Tlvs_CompleteKeepingAll()
    {
        var result = ProxyHeaderParser.TryParse(InetWithTlvs(32, noops: 10), out var header);

        Assert.Equal(ProxyParseStatus.Complete, result.Status);
        Assert.Equal(32, header!.Tlvs.Count);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)(0xE0 + (i % 16))), header.Tlvs.Select(t => t.Type));
    }

    [Fact]
    public void TryParse_33Tlvs_Invalid()
    {
        var result = ProxyHeaderParser.TryParse(InetWithTlvs(33, noops: 0), out var header);

        Assert.Equal(ProxyParseStatus.Invalid, result.Status);
        Assert.Equal("more than 32 TLVs in v2 header", result.Error);
        Assert.Null(header);
    }

    [Fact]
    public void TryParse_Crc32cFixtureWithAByteChanged_InvalidMismatch()
    {
        var data = (byte[])ProxyFixtures.Get("v2 PROXY INET6 with TLVs and CRC32C").Bytes.Clone();
        data[70] ^= 0x20; // a letter of the authority changes case

        var result = ProxyHeaderParser.TryParse(data, out _);

        Assert.Equal(ProxyParseStatus.Invalid, result.Status);
        Assert.Equal("v2 CRC32C mismatch", result.Error);
    }

    [Fact]
    public void TryParse_LocalWithDgramFamily_CompleteBecauseLocalIgnoresTheFamily()
    {
        var result = ProxyHeaderParser.TryParse(Hex(Sig + "20 12 0000"), out var header);

        Assert.Equal(ProxyParseResult.Complete(16), result);
        Assert.Same(ProxyHeader.V2Local, header);
    }

    [Fact]
    public void TryParse_AuthorityAndAlpnRepeated_FirstOfEachWins()
    {
        var data = Hex(Sig + "21 11 001C" + Inet + "02 0001 61 02 0001 62 01 0001 63 01 0001 64");

        ProxyHeaderParser.TryParse(data, out var header);

        Assert.Equal("a", header!.Authority);
        Assert.Equal("c", header.Alpn);
        Assert.Equal(4, header.Tlvs.Count);
    }

    [Fact]
    public void ProxyCrc32c_CheckString_MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xE3069283u, ProxyCrc32c.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void ProxyCrc32c_WithZeroedField_MatchesReferenceOverZeroedCopy()
    {
        var data = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();
        var zeroed = (byte[])data.Clone();
        Array.Clear(zeroed, 100, 4);

        Assert.Equal(ReferenceCrc32c(zeroed), ProxyCrc32c.Compute(data, 100));
    }

    private static byte[] InetWithTlvs(int count, int noops)
    {
        var tlvs = new List<byte>();
        for (var i = 0; i < count; i++)
        {
            tlvs.AddRange([(byte)(0xE0 + (i % 16)), 0x00, 0x01, (byte)i]);
            if (i < noops)
            {
                tlvs.AddRange([ProxyV2Format.TypeNoop, 0x00, 0x00]);
            }
        }

        var length = 12 + tlvs.Count;
        return Concat(Hex(Sig + "21 11"), [(byte)(length >> 8), (byte)length], Hex(Inet), [.. tlvs]);
    }
}
