using McProxy.Logging;

namespace McProxy.Tests.Logging;

/// <summary>
/// <c>[log] format = "text"</c>: one short line per event, access lines readable at a glance, nothing a client sends
/// able to start a line of its own, and exceptions as type and message (their stack trace at debug, indented).
/// </summary>
[UnitTest]
public sealed class TextLineFormatterTests
{
    private static readonly Action<ILogger, string, string, Exception?> Listening =
        LoggerMessage.Define<string, string>(LogLevel.Information, new EventId(10, "Listening"), "Listener {Listener} accepting on {EndPoint}");

    private static readonly Action<ILogger, string, Exception?> Hello =
        LoggerMessage.Define<string>(LogLevel.Debug, new EventId(3, "ClientHello"), "ClientHello sni={Sni}");

    private static TextLineFormatter Formatter(LogLevel configured = LogLevel.Information) => new(configured, new LogLines.FixedClock());

    private static string Access(List<KeyValuePair<string, object?>> state, int eventId) =>
        LogLines.Write(Formatter(), "McProxy.Access", LogLevel.Information, new EventId(eventId), state, LogLines.Message);

    [Fact]
    public void ConnectionAccessLine_IsOneShortLineFromItsFields()
    {
        Assert.Equal(
            "12:00:01.123 info  access 203.0.113.5:41234 app.example.com l4 10.0.0.2:443 ok 12ms in=517 out=3204 id=7" + Environment.NewLine,
            Access(LogLines.Connection(), 1));
    }

    [Fact]
    public void ConnectionAccessLine_WithoutRoute_LeavesOutModeBackendAndBytes_AndQuotesTheDetail()
    {
        Assert.Equal(
            "12:00:01.123 info  access 203.0.113.5:41234 - no_route 12ms id=7 detail=\"no SNI and no \\\"default_route\\\"\"" + Environment.NewLine,
            Access(LogLines.Connection(sni: "", route: "", outcome: "no_route", detail: "no SNI and no \"default_route\""), 1));
    }

    [Fact]
    public void RequestAccessLine_ShowsMethodUrlStatus_AndOutcomeOnlyWhenNotOk()
    {
        Assert.Equal(
            "12:00:01.123 info  access 203.0.113.5:41234 GET web.example.com/login HTTP/2 200 3ms id=9" + Environment.NewLine,
            Access(LogLines.Request(), 20));
        Assert.Equal(
            "12:00:01.123 info  access 203.0.113.5:41234 GET web.example.com/login HTTP/2 502 3ms backend_error id=9 detail=\"connection refused\"" + Environment.NewLine,
            Access(LogLines.Request(status: 502, outcome: "backend_error", detail: "connection refused"), 20));
    }

    [Fact]
    public void OtherAccessEvent_IsWrittenAsItsMessage()
    {
        var state = LogLines.State("{Note}", ("Note", "something new"));

        Assert.Equal("12:00:01.123 info  access Note=something new" + Environment.NewLine, Access(state, 30));
    }

    [Fact]
    public void NormalLine_IsTimeLevelShortCategoryAndMessage()
    {
        var logger = new FormattingLogger(Formatter(), "McProxy.Server");

        Listening(logger, "127.0.0.1:8443", "127.0.0.1:8443", null);

        Assert.Equal("12:00:01.123 info  server Listener 127.0.0.1:8443 accepting on 127.0.0.1:8443" + Environment.NewLine, logger.Output);
    }

    [Theory]
    [InlineData("McProxy.Connection", "connection")]
    [InlineData("McProxy.L7", "l7")]
    [InlineData("Microsoft.AspNetCore.Server.Kestrel.Http2", "Http2")]
    [InlineData("Yarp.ReverseProxy.Forwarder.HttpForwarder", "HttpForwarder")]
    [InlineData("NoDots", "NoDots")]
    public void Category_IsShownByItsShortName(string category, string expected)
    {
        Assert.Equal(expected, TextLineFormatter.ShortName(category));
    }

    [Fact]
    public void LevelNames_AreTheConfigWords_AllOfOneWidth()
    {
        var names = new[] { LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical }.Select(TextLineFormatter.LevelName).ToList();

        Assert.Equal(["debug", "info", "warn", "error", "crit"], names.Select(n => n.TrimEnd()));
        Assert.Single(names.Select(n => n.Length).Distinct());
    }

    [Fact]
    public void ClientValues_WithLineBreaks_CannotForgeALine()
    {
        const string forged = "12:00:09.000 info  access 198.51.100.1:1 bank.example.com l4 10.0.0.9:443 ok 1ms in=1 out=1 id=99";
        var sni = "evil.example.com\r\n" + forged;

        var access = Access(LogLines.Connection(sni: sni), 1);
        var request = Access(LogLines.Request(path: "/a\n" + forged), 20);
        var logger = new FormattingLogger(Formatter(LogLevel.Debug), "McProxy.Connection");
        Hello(logger, sni, null);

        foreach (var line in new[] { access, request, logger.Output })
        {
            Assert.Single(Lines(line));
            Assert.DoesNotContain("\r", line, StringComparison.Ordinal);
            Assert.Contains("\\n12:00:09.000 info  access 198.51.100.1:1", line, StringComparison.Ordinal);
        }

        // Inside a field a space would shift the fields after it, so a value holding one is quoted whole.
        Assert.Contains(" \"evil.example.com\\r\\n12:00:09.000 info  access", access, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\u001b[2Jb", "a\\x1b[2Jb")]
    [InlineData("a\u0000b\u007fc\u0085d", "a\\x00b\\x7fc\\x85d")]
    [InlineData("a\tb", "a\\tb")]
    [InlineData("admin\u202egnp.exe", "admin\\u202egnp.exe")]
    [InlineData("line\u2028sep", "line\\u2028sep")]
    [InlineData("ünï.example", "ünï.example")]
    public void ControlCharacters_AreEscaped(string value, string expected)
    {
        var logger = new FormattingLogger(Formatter(LogLevel.Debug), "McProxy.Connection");

        Hello(logger, value, null);

        Assert.Equal($"12:00:01.123 debug connection ClientHello sni={expected}" + Environment.NewLine, logger.Output);
    }

    [Fact]
    public void Exception_AtInfo_TypeAndMessageOnTheLine_NoStackTrace()
    {
        var logger = new FormattingLogger(Formatter(LogLevel.Information), "McProxy.Connection");

        logger.LogError(new EventId(2), Thrown(), "Connection {ConnectionId} failed unexpectedly", 8);

        Assert.Equal(
            "12:00:01.123 error connection Connection 8 failed unexpectedly: InvalidOperationException: relay broke\\r\\nforged ---> IOException: pipe closed" + Environment.NewLine,
            logger.Output);
    }

    [Fact]
    public void Exception_AtDebug_StackTraceIndentedBelowTheLine()
    {
        var logger = new FormattingLogger(Formatter(LogLevel.Debug), "McProxy.Connection");

        logger.LogError(new EventId(2), Thrown(), "Connection {ConnectionId} failed unexpectedly", 8);

        var lines = Lines(logger.Output);
        Assert.StartsWith("12:00:01.123 error connection Connection 8 failed unexpectedly: InvalidOperationException: relay broke", lines[0], StringComparison.Ordinal);
        Assert.True(lines.Count > 2);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("    ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" at ", StringComparison.Ordinal) && l.Contains(nameof(Thrown), StringComparison.Ordinal));
    }

    [Fact]
    public void GuardedProvider_OverTheTextFormat_SummarisesAFloodInOneLine()
    {
        var time = new TestInfrastructure.ManualTimeProvider();
        var sink = new FormattingProvider(Formatter());
        using var provider = new GuardedLoggerProvider(sink, _ => LogLevel.Information, time);
        var logger = provider.CreateLogger("McProxy.Connection");

        for (var i = 0; i < 100; i++)
        {
            logger.LogWarning(new EventId(2, "ConnectionError"), "Connection {ConnectionId} failed", i);
        }

        time.Advance(LogFloodGate.Window);
        provider.Gate.FlushDue();

        var lines = Lines(sink.Output);
        Assert.Equal(LogFloodGate.Burst + 1, lines.Count);
        Assert.Equal("12:00:01.123 warn  connection 97 more like this (ConnectionError) in the last 10 s", lines[^1]);
    }

    private static List<string> Lines(string output) => output.Split(Environment.NewLine).SkipLast(1).ToList();

    private static Exception Thrown()
    {
        try
        {
            try
            {
                throw new IOException("pipe closed");
            }
            catch (IOException inner)
            {
                throw new InvalidOperationException("relay broke\r\nforged", inner);
            }
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    /// <summary>A logger that formats each event as the console logger would, into <see cref="Output"/>.</summary>
    private sealed class FormattingLogger(TextLineFormatter formatter, string category) : ILogger
    {
        private readonly StringWriter _output = new();

        public string Output => _output.ToString();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> format)
        {
            lock (_output)
            {
                formatter.Write(new Microsoft.Extensions.Logging.Abstractions.LogEntry<TState>(logLevel, category, eventId, state, exception, format), null, _output);
            }
        }
    }

    private sealed class FormattingProvider(TextLineFormatter formatter) : ILoggerProvider
    {
        private readonly List<FormattingLogger> _loggers = [];

        public string Output => string.Concat(_loggers.Select(l => l.Output));

        public ILogger CreateLogger(string categoryName)
        {
            var logger = new FormattingLogger(formatter, categoryName);
            _loggers.Add(logger);
            return logger;
        }

        public void Dispose()
        {
        }
    }
}
