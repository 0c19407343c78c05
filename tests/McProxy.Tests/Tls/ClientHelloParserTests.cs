using McProxy.Tests.TestInfrastructure;
using McProxy.Tls;

namespace McProxy.Tests.Tls;

[UnitTest]
public sealed class ClientHelloParserTests
{
    [Theory]
    [MemberData(nameof(ClientHelloFixture.All), MemberType = typeof(ClientHelloFixture))]
    public void TryParse_RealClientFixture_ExtractsServerNameAndAlpn(string name)
    {
        var fixture = ClientHelloFixture.Load(name);

        var result = ClientHelloParser.TryParse(fixture.Bytes);

        Assert.Equal(HelloParseStatus.Complete, result.Status);
        Assert.Equal(fixture.Sni, result.Hello.ServerName);
        Assert.Equal(fixture.Alpn.Take(ClientHelloParser.MaxAlpnKept), result.Hello.Alpn);
        Assert.Equal(fixture.HandshakeLength, result.Hello.HandshakeLength);
    }

    [Theory]
    [InlineData("openssl-alpn-17", 17)]
    [InlineData("openssl-alpn-200", 200)]
    public void TryParse_RealHelloWithMoreThan16AlpnProtocols_IsCompleteAndKeepsTheFirst16(string name, int offered)
    {
        var fixture = ClientHelloFixture.Load(name);

        var result = ClientHelloParser.TryParse(fixture.Bytes);

        // RFC 7301 sets no cap on the list: the hello is routed, and the first protocols are kept for the logs and TLVs.
        Assert.Equal(offered, fixture.Alpn.Length);
        Assert.Equal(HelloParseStatus.Complete, result.Status);
        Assert.Equal(16, result.Hello.Alpn.Length);
        Assert.Equal(fixture.Alpn[..16], result.Hello.Alpn);
    }

    [Theory]
    [MemberData(nameof(ClientHelloFixture.All), MemberType = typeof(ClientHelloFixture))]
    public void TryParse_RealClientFixtureSplitAtEveryOffset_IsIncompleteUntilTheLastByte(string name)
    {
        var fixture = ClientHelloFixture.Load(name);

        for (var split = 0; split < fixture.Bytes.Length; split++)
        {
            var prefix = ClientHelloParser.TryParse(fixture.Bytes.AsSpan(0, split));
            Assert.True(prefix.Status == HelloParseStatus.Incomplete, $"{name}: {split} of {fixture.Bytes.Length} bytes gave {prefix.Status} {prefix.Error}");
        }

        // Bytes after the ClientHello (the client's next flight) do not change the result.
        var withTrailer = fixture.Bytes.Concat(new byte[] { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 }).ToArray();
        var result = ClientHelloParser.TryParse(withTrailer);
        Assert.Equal(HelloParseStatus.Complete, result.Status);
        Assert.Equal(fixture.Sni, result.Hello.ServerName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(512)]
    public void TryParse_ChromiumHelloReframedIntoManyRecords_ExtractsServerName(int recordSize)
    {
        var fixture = ClientHelloFixture.Load("chromium");
        var reframed = ClientHelloBuilder.Frame(fixture.Message(), recordSize);

        var result = ClientHelloParser.TryParse(reframed);

        Assert.Equal(HelloParseStatus.Complete, result.Status);
        Assert.Equal("chromium.example.com", result.Hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], result.Hello.Alpn);
        for (var split = 0; split < reframed.Length; split += 13)
        {
            Assert.Equal(HelloParseStatus.Incomplete, ClientHelloParser.TryParse(reframed.AsSpan(0, split)).Status);
        }
    }

    [Fact]
    public void TryParse_RealFragmentedClientHello_SpansTwoRecords()
    {
        var fixture = ClientHelloFixture.Load("openssl-fragmented");

        Assert.Equal(2, fixture.Records);
        Assert.EndsWith(".fragmented.example.com", ClientHelloParser.TryParse(fixture.Bytes).Hello.ServerName, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_ServerNameInUpperCaseWithTrailingDot_IsNormalised()
    {
        var result = ClientHelloParser.TryParse(ClientHelloBuilder.Build("WWW.Example.NET."));

        Assert.Equal("www.example.net", result.Hello.ServerName);
    }

    [Fact]
    public void TryParse_MaximumSizeHello_IsAccepted()
    {
        var size = ClientHelloBuilder.Message("big.example.test").Length;
        var hello = ClientHelloBuilder.Build("big.example.test", padding: ClientHelloParser.MaxHandshakeLength + 4 - size - 4);

        var result = ClientHelloParser.TryParse(hello);

        Assert.Equal(HelloParseStatus.Complete, result.Status);
        Assert.Equal(ClientHelloParser.MaxHandshakeLength, result.Hello.HandshakeLength);
    }

    public static TheoryData<string, byte[], string> Malformed()
    {
        var good = ClientHelloBuilder.Message("bad.example.test", ["h2"]);
        byte[] Mutate(Action<byte[]> change)
        {
            var copy = (byte[])good.Clone();
            change(copy);
            return ClientHelloBuilder.Frame(copy, 16384);
        }

        // Offsets into the message: 4 header, 2 version, 32 random, 1 session id length (0), 2+2 suites, 1+1 compression, 2 extensions length.
        const int sessionIdLength = 4 + 2 + 32;
        const int extensionsLength = sessionIdLength + 1 + 4 + 2;
        const int firstExtension = extensionsLength + 2;
        var oversized = ClientHelloBuilder.Build("big.example.test", padding: ClientHelloParser.MaxHandshakeLength);
        return new TheoryData<string, byte[], string>
        {
            { "http request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), "not a TLS handshake record" },
            { "application data record", [0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5], "not a TLS handshake record" },
            { "SSLv2 hello", [0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10], "SSLv2" },
            { "record version 2.0", [22, 2, 0, 0, 5, 1, 0, 0, 1, 0], "not TLS" },
            { "record length zero", [22, 3, 1, 0, 0], "out of range" },
            { "record length over 16 KiB", [22, 3, 1, 0x40, 0x01], "out of range" },
            { "server hello", [22, 3, 3, 0, 4, 2, 0, 0, 0], "not ClientHello" },
            { "handshake length over 16 KiB", [22, 3, 1, 0x10, 0, 1, 0, 0x40, 0x01], "exceeds" },
            { "oversized hello in many records", oversized, "exceeds" },
            { "session id over 32 bytes", Mutate(m => m[sessionIdLength] = 33), "session id" },
            { "odd cipher suites length", Mutate(m => m[sessionIdLength + 2] = 3), "cipher suites" },
            { "extensions length overruns", Mutate(m => m[extensionsLength + 1] += 1), "extensions length" },
            { "extension length overruns", Mutate(m => m[firstExtension + 3] = 0xff), "overruns" },
            { "host name with a space", ClientHelloBuilder.Build("bad name.example"), "not a valid host name" },
            { "host name with an empty label", ClientHelloBuilder.Build("a..example"), "not a valid host name" },
            // Entries past the 16 kept are still checked: an empty 17th protocol name is malformed (RFC 7301 §3.1).
            { "empty ALPN protocol after the 16 kept", ClientHelloBuilder.Build("bad.example.test", [.. Enumerable.Range(0, 16).Select(i => $"p{i}"), ""]), "ALPN protocol list is malformed" },
            { "message claims more than its records and a non-handshake record follows", [22, 3, 1, 0, 5, 1, 0, 0, 9, 3, 21, 3, 1, 0, 2, 1, 0], "content type 21" },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryParse_MalformedInput_IsInvalidWithAReason(string description, byte[] input, string reason)
    {
        var result = ClientHelloParser.TryParse(input);

        Assert.True(result.Status == HelloParseStatus.Invalid, $"{description}: {result.Status}");
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        for (var split = 0; split < input.Length; split++)
        {
            Assert.NotEqual(HelloParseStatus.Complete, ClientHelloParser.TryParse(input.AsSpan(0, split)).Status);
        }
    }

    [Fact]
    public void TryParse_NoServerNameExtension_IsCompleteWithoutServerName()
    {
        var result = ClientHelloParser.TryParse(ClientHelloBuilder.Build(null, ["http/1.1"]));

        Assert.Equal(HelloParseStatus.Complete, result.Status);
        Assert.Null(result.Hello.ServerName);
        Assert.Equal(["http/1.1"], result.Hello.Alpn);
    }

    [Fact]
    public void TryParse_RandomCorruptionsOfRealHellos_NeverThrow()
    {
        var random = new Random(20261125);
        foreach (var name in ClientHelloFixture.Names)
        {
            var bytes = ClientHelloFixture.Load(name).Bytes;
            for (var round = 0; round < 2000; round++)
            {
                var copy = (byte[])bytes.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    copy[random.Next(copy.Length)] = (byte)random.Next(256);
                }

                var length = random.Next(copy.Length + 1);
                var result = ClientHelloParser.TryParse(copy.AsSpan(0, length));
                Assert.True(Enum.IsDefined(result.Status));
            }
        }
    }
}
