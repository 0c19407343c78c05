using McProxy.Config;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Config;

/// <summary>The [log] section (SPEC §3): level and format, every bad value refused naming its key and what is allowed.</summary>
[UnitTest]
public sealed class LogConfigTests
{
    private static ProxyConfig Parse(string log) => ConfigLoader.Parse(ConfigTexts.OneListener + "\n[log]\n" + log, "test.toml", "/etc/mc");

    private static IReadOnlyList<string> Errors(string log) => Assert.Throws<ConfigException>(() => Parse(log)).Errors;

    [Fact]
    public void NoLogSection_IsInfoAndAuto()
    {
        var config = ConfigLoader.Parse(ConfigTexts.OneListener, "test.toml", "/etc/mc");

        Assert.Equal(LogLevel.Information, config.Log.Level);
        Assert.Equal(LogFormat.Auto, config.Log.Format);
    }

    [Theory]
    [InlineData("auto", nameof(LogFormat.Auto))]
    [InlineData("json", nameof(LogFormat.Json))]
    [InlineData("text", nameof(LogFormat.Text))]
    public void Format_EachAllowedValue_IsRead(string text, string expected)
    {
        var config = Parse($"level = \"debug\"\nformat = \"{text}\"\n");

        Assert.Equal(Enum.Parse<LogFormat>(expected), config.Log.Format);
        Assert.Equal(LogLevel.Debug, config.Log.Level);
    }

    [Theory]
    [InlineData("\"yaml\"", "\"yaml\" is not one of auto, json, text")]
    [InlineData("\"JSON\"", "\"JSON\" is not one of auto, json, text")]
    [InlineData("\"\"", "\"\" is not one of auto, json, text")]
    [InlineData("1", "must be a string")]
    public void Format_AnyOtherValue_IsAnErrorNamingTheKey(string value, string expected)
    {
        var error = Assert.Single(Errors($"format = {value}\n"));

        Assert.StartsWith("log.format: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void BadLevelAndBadFormat_AreBothReported()
    {
        var errors = Errors("level = \"loud\"\nformat = \"xml\"\nformats = \"text\"\n");

        Assert.Contains(errors, e => e.StartsWith("log.level: ", StringComparison.Ordinal) && e.Contains("\"loud\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("log.format: ", StringComparison.Ordinal) && e.Contains("\"xml\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("log.formats", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(LogFormat.Auto), true, nameof(LogFormat.Text))]
    [InlineData(nameof(LogFormat.Auto), false, nameof(LogFormat.Json))]
    [InlineData(nameof(LogFormat.Json), true, nameof(LogFormat.Json))]
    [InlineData(nameof(LogFormat.Text), false, nameof(LogFormat.Text))]
    public void FormatFor_AutoIsTextOnATerminalOnly(string configured, bool terminal, string expected)
    {
        var config = new LogConfig { Format = Enum.Parse<LogFormat>(configured) };

        Assert.Equal(Enum.Parse<LogFormat>(expected), config.FormatFor(outputIsTerminal: terminal));
    }
}
