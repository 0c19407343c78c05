using McProxy.ProxyProtocol;
using static McProxy.Tests.ProxyProtocol.ProxyTestBytes;

namespace McProxy.Tests.ProxyProtocol;

/// <summary>Every valid fixture whole, split at every offset, followed by TLS bytes, and with bytes changed.</summary>
[UnitTest]
public sealed class ProxyHeaderParserFixtureTests
{
    public static TheoryData<string> Fixtures => ProxyFixtures.Names;

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TryParse_WholeFixture_CompleteWithExpectedHeader(string name)
    {
        var fixture = ProxyFixtures.Get(name);

        var result = ProxyHeaderParser.TryParse(fixture.Bytes, out var header);

        Assert.Equal(new ProxyParseResult(ProxyParseStatus.Complete, fixture.Bytes.Length, null), result);
        Assert.NotNull(header);
        Assert.Equal(fixture.Expected, Describe(header));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TryParse_SplitAtEveryOffset_IncompleteUntilWholeThenSameHeader(string name)
    {
        var fixture = ProxyFixtures.Get(name);

        for (var split = 0; split < fixture.Bytes.Length; split++)
        {
            // What a connection holds after the first segment, then after the rest arrives.
            var first = ProxyHeaderParser.TryParse(fixture.Bytes.AsSpan(0, split), out var partial);
            Assert.True(first == ProxyParseResult.Incomplete, $"{split} bytes: {first}");
            Assert.Null(partial);

            var second = ProxyHeaderParser.TryParse(fixture.Bytes, out var header);
            Assert.Equal(ProxyParseStatus.Complete, second.Status);
            Assert.Equal(fixture.Bytes.Length, second.Consumed);
            Assert.Equal(fixture.Expected, Describe(header!));
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TryParse_TrailingTlsBytes_ConsumedStopsAtHeaderEnd(string name)
    {
        var fixture = ProxyFixtures.Get(name);
        var data = Concat(fixture.Bytes, TlsBytes);

        for (var extra = 1; extra <= TlsBytes.Length; extra++)
        {
            var result = ProxyHeaderParser.TryParse(data.AsSpan(0, fixture.Bytes.Length + extra), out var header);

            Assert.Equal(ProxyParseStatus.Complete, result.Status);
            Assert.Equal(fixture.Bytes.Length, result.Consumed);
            Assert.Equal(fixture.Expected, Describe(header!));
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TryParse_FixtureWithOneByteChanged_NeverThrowsAndLongerInputNeverChangesAVerdict(string name)
    {
        var fixture = ProxyFixtures.Get(name);
        var data = Concat(fixture.Bytes, TlsBytes);

        for (var position = 0; position < fixture.Bytes.Length; position++)
        {
            var original = data[position];
            foreach (var replacement in new[] { (byte)0x00, (byte)0xFF, (byte)(original ^ 0x01), (byte)(original + 1), (byte)' ' })
            {
                data[position] = replacement;
                AssertPrefixesAgree(data, $"{name}, byte {position} = 0x{replacement:X2}");
            }

            data[position] = original;
        }
    }

    /// <summary>
    /// Incomplete must mean "a valid prefix": once a prefix is Invalid, or Complete with some length, no longer
    /// input may say otherwise. This also checks each result is internally consistent.
    /// </summary>
    private static void AssertPrefixesAgree(byte[] data, string what)
    {
        ProxyParseResult? verdict = null;
        for (var length = 0; length <= data.Length; length++)
        {
            var result = ProxyHeaderParser.TryParse(data.AsSpan(0, length), out var header);
            switch (result.Status)
            {
                case ProxyParseStatus.Complete:
                    Assert.True(header is not null && result.Error is null && result.Consumed > 0 && result.Consumed <= length, $"{what}: {result}");
                    break;
                case ProxyParseStatus.Incomplete:
                    Assert.True(header is null && result == ProxyParseResult.Incomplete && length < ProxyHeaderParser.MaxHeaderBytes, $"{what}: {result}");
                    break;
                default:
                    Assert.True(header is null && !string.IsNullOrEmpty(result.Error) && result.Consumed == 0, $"{what}: {result}");
                    break;
            }

            if (verdict is { } earlier)
            {
                // The error may name a different fault as more arrives (a bad field, then the 107-byte bound).
                Assert.True(
                    earlier.Status == result.Status && earlier.Consumed == result.Consumed,
                    $"{what}: {earlier} at a shorter length, then {result} at {length} bytes");
            }
            else if (result.Status != ProxyParseStatus.Incomplete)
            {
                verdict = result;
            }
        }
    }
}
