using System.Security.Authentication;
using McProxy.Config;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Config;

/// <summary>The [tls] section (SPEC §3): defaults, both versions, session tickets, and bad values named by their key.</summary>
[UnitTest]
public sealed class TlsConfigReaderTests
{
    private static TlsConfig Parse(string tls) => ConfigLoader.Parse($"{tls}\n{ConfigTexts.OneListener}", "test.toml", "/etc/mc").Tls;

    private static IReadOnlyList<string> Errors(string tls)
        => Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"{tls}\n{ConfigTexts.OneListener}", "test.toml", "/etc/mc")).Errors;

    [Theory]
    [InlineData("")]
    [InlineData("[tls]")]
    public void Absent_OrEmpty_IsTls12AndUpWithSessionTickets(string tls)
    {
        var config = Parse(tls);

        Assert.Equal(SslProtocols.Tls12, config.MinVersion);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, config.EnabledProtocols);
        Assert.True(config.SessionTickets);
    }

    [Fact]
    public void MinVersion13_AndTicketsOff_AreRead()
    {
        var config = Parse("""
            [tls]
            min_version = "1.3"
            session_tickets = false
            """);

        Assert.Equal(SslProtocols.Tls13, config.MinVersion);
        Assert.Equal(SslProtocols.Tls13, config.EnabledProtocols);
        Assert.False(config.SessionTickets);
    }

    [Fact]
    public void MinVersion12_AndTicketsOn_AreRead()
    {
        var config = Parse("""
            [tls]
            min_version = "1.2"
            session_tickets = true
            """);

        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, config.EnabledProtocols);
        Assert.True(config.SessionTickets);
    }

    [Theory]
    [InlineData("min_version = \"1.1\"", "tls.min_version: \"1.1\" is not \"1.2\" or \"1.3\"")]
    [InlineData("min_version = \"TLS1.3\"", "tls.min_version: \"TLS1.3\" is not \"1.2\" or \"1.3\"")]
    [InlineData("min_version = 1.3", "tls.min_version: must be a string")]
    [InlineData("session_tickets = \"no\"", "tls.session_tickets: must be true or false")]
    [InlineData("ciphers = \"ALL\"", "tls.ciphers")]
    public void BadValues_AndUnknownKeys_AreErrorsNamingTheKey(string line, string expected)
    {
        var errors = Errors($"[tls]\n{line}");

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryBadKey_IsReportedAtOnce_AndAHugeValueIsQuotedShort()
    {
        var huge = new string('x', 1_000_000);

        var errors = Errors($"""
            [tls]
            min_version = "{huge}\u0007"
            session_tickets = 1
            """);

        var version = Assert.Single(errors, e => e.StartsWith("tls.min_version:", StringComparison.Ordinal));
        Assert.True(version.Length < 200, $"{version.Length} characters");
        Assert.Contains(errors, e => e.StartsWith("tls.session_tickets:", StringComparison.Ordinal));
    }

    [Fact]
    public void ControlCharactersInAValue_AreEscapedInTheError()
    {
        var error = Assert.Single(Errors("""
            [tls]
            min_version = "1.\u001b[2J"
            """));

        Assert.Equal("tls.min_version: \"1.\\u001b[2J\" is not \"1.2\" or \"1.3\"", error);
        Assert.DoesNotContain('\u001b', error);
    }

    [Fact]
    public void TlsNotATable_IsAnError()
    {
        Assert.Contains(Errors("tls = \"1.3\""), e => e.StartsWith("tls: must be a table", StringComparison.Ordinal));
    }
}
