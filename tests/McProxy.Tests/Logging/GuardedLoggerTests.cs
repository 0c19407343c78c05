using System.Net.Sockets;
using McProxy.Logging;
using McProxy.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Connections;

namespace McProxy.Tests.Logging;

/// <summary>
/// The logging layer under a flood: one event repeated becomes a few lines and one count, the table of events
/// stays at its capacity, every dropped line is counted, client faults of Kestrel's categories go to Debug, and the
/// access log is never summarised.
/// </summary>
[UnitTest]
public sealed class GuardedLoggerTests : IDisposable
{
    private static readonly EventId ConnectionError = new(2, "ConnectionError");

    private readonly TestLog _log = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _log.Dispose();

    private GuardedLoggerProvider Provider(LogLevel minimum = LogLevel.Information) => new(_log, _ => minimum, _time);

    [Fact]
    public void Flood_OfOneEvent_BurstThenOneLineWithTheCount()
    {
        using var provider = Provider();
        var logger = provider.CreateLogger("McProxy.Connection");

        for (var i = 0; i < 1000; i++)
        {
            logger.LogError(ConnectionError, new InvalidOperationException("boom"), "Connection {ConnectionId} failed unexpectedly", i);
        }

        Assert.Equal(LogFloodGate.Burst, _log.Entries.Count);
        provider.Gate.FlushDue();
        Assert.Equal(LogFloodGate.Burst, _log.Entries.Count);

        _time.Advance(LogFloodGate.Window);
        provider.Gate.FlushDue();

        var summary = _log.Entries.Last();
        Assert.Equal(LogFloodGate.Burst + 1, _log.Entries.Count);
        Assert.Equal((1000 - LogFloodGate.Burst).ToString(System.Globalization.CultureInfo.InvariantCulture), summary.Get("Count"));
        Assert.Equal("McProxy.Connection", summary.Category);
        Assert.Equal(ConnectionError.Id, summary.EventId);
        Assert.Equal(LogLevel.Error, summary.Level);
        Assert.Equal("997 more like this (ConnectionError) in the last 10 s", summary.Message);

        // The next window starts afresh.
        logger.LogError(ConnectionError, "again");
        Assert.Equal("again", _log.Entries.Last().Message);
    }

    [Fact]
    public void ManyDistinctEvents_TableStaysAtCapacity_EveryDroppedLineCounted()
    {
        using var provider = Provider();
        var logger = provider.CreateLogger("McProxy.L7");
        const int events = 500;
        const int repeats = 10;

        for (var round = 0; round < 2; round++)
        {
            for (var id = 1; id <= events; id++)
            {
                for (var i = 0; i < repeats / 2; i++)
                {
                    logger.LogWarning(new EventId(id), "event {Id}", id);
                }
            }

            Assert.True(provider.Gate.Tracked <= provider.Gate.Capacity);
        }

        provider.Gate.Dispose();

        Assert.Equal(LogFloodGate.DefaultCapacity, provider.Gate.Capacity);
        foreach (var group in _log.Entries.GroupBy(e => e.EventId))
        {
            var written = group.Count(e => e.Get("Count") is null);
            var counted = group.Where(e => e.Get("Count") is not null).Sum(e => int.Parse(e.Get("Count")!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(repeats, written + counted);
        }

        Assert.Equal(events, _log.Entries.Select(e => e.EventId).Distinct().Count());
    }

    [Fact]
    public void AccessLines_NeverSummarised()
    {
        using var provider = Provider();
        var logger = provider.CreateLogger("McProxy.Access");

        for (var i = 0; i < 1000; i++)
        {
            logger.LogInformation(new EventId(1, "Connection"), "a connection");
        }

        Assert.Equal(1000, _log.Entries.Count);
    }

    [Fact]
    public void ServerReports_NotSummarised_ButAcceptBackoffIs()
    {
        using var provider = Provider();
        var logger = provider.CreateLogger("McProxy.Server");

        for (var i = 0; i < 20; i++)
        {
            logger.LogWarning(new EventId(104, "BackendUnverified"), "route {Route} unverified", i);
            logger.LogWarning(new EventId(11, "AcceptBackoff"), "accept failed");
        }

        Assert.Equal(20, _log.Entries.Count(e => e.EventId == 104));
        Assert.Equal(LogFloodGate.Burst, _log.Entries.Count(e => e.EventId == 11));
    }

    public static TheoryData<string, int, Exception?> KestrelClientFaults => new()
    {
        // TimingPipeFlusher's "Unexpected exception" and KestrelConnection's "Unhandled exception" when the client reset.
        { "Microsoft.AspNetCore.Server.Kestrel", 0, new IOException("The write operation failed", new SocketException((int)SocketError.ConnectionReset)) },
        { "Microsoft.AspNetCore.Server.Kestrel", 0, new ConnectionResetException("reset") },
        { "Microsoft.AspNetCore.Server.Kestrel.Connections", 0, new ConnectionAbortedException("aborted") },
        { "Microsoft.AspNetCore.Server.Kestrel.BadRequests", 17, new InvalidOperationException("bad request") },
        // Http2QueueOperationsExceeded (Critical): a PING/SETTINGS flood outpacing its own reads.
        { "Microsoft.AspNetCore.Server.Kestrel.Http2", 60, new ConnectionAbortedException("queue full") },
    };

    [Theory]
    [MemberData(nameof(KestrelClientFaults))]
    public void KestrelClientFault_DroppedAtWarning_WrittenAtDebug(string category, int eventId, Exception? exception)
    {
        var quiet = new TestLog();
        using (var provider = new GuardedLoggerProvider(quiet, _ => LogLevel.Warning, _time))
        {
            provider.CreateLogger(category).Log(LogLevel.Error, new EventId(eventId), exception, "fault");
            Assert.Empty(quiet.Entries);
        }

        using (var provider = Provider(LogLevel.Debug))
        {
            provider.CreateLogger(category).Log(LogLevel.Critical, new EventId(eventId), exception, "fault");
        }

        var entry = Assert.Single(_log.Entries);
        Assert.Equal(LogLevel.Debug, entry.Level);
    }

    [Fact]
    public void KestrelClientFaultFlood_AtDebug_StillSummarised()
    {
        using var provider = Provider(LogLevel.Debug);
        var logger = provider.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");
        var reset = new IOException("write failed", new SocketException((int)SocketError.ConnectionReset));

        for (var i = 0; i < 1000; i++)
        {
            logger.LogError(0, reset, "Unexpected exception in TimingPipeFlusher.FlushAsync.");
        }

        provider.Gate.Dispose();
        Assert.Equal(LogFloodGate.Burst + 1, _log.Entries.Count);
        Assert.All(_log.Entries, e => Assert.Equal(LogLevel.Debug, e.Level));
    }

    public static TheoryData<string, int, Exception?> NotClientFaults => new()
    {
        // The application (YARP) threw: the exception may come from the backend.
        { "Microsoft.AspNetCore.Server.Kestrel", 13, new IOException("x", new SocketException((int)SocketError.ConnectionReset)) },
        // YARP faces the backend: a reset there is the backend's.
        { "Yarp.ReverseProxy.Forwarder.HttpForwarder", 48, new HttpRequestException("x", new SocketException((int)SocketError.ConnectionReset)) },
        { "Microsoft.AspNetCore.Server.Kestrel", 0, new InvalidOperationException("a bug") },
        { "McProxy.Connection", 2, new SocketException((int)SocketError.ConnectionReset) },
    };

    [Theory]
    [MemberData(nameof(NotClientFaults))]
    public void OtherErrors_KeepTheirLevel(string category, int eventId, Exception? exception)
    {
        using var provider = Provider(LogLevel.Warning);

        provider.CreateLogger(category).Log(LogLevel.Error, new EventId(eventId), exception, "fault");

        Assert.Equal(LogLevel.Error, Assert.Single(_log.Entries).Level);
    }

    /// <summary>
    /// YARP's ForwardingError for a request body cut short: after the backend's answer was passed on (YARP reports the
    /// copy's own exception) it is written at Debug; before any answer, when the client got 502 (YARP reports an
    /// AggregateException of the copy's and the request's), it keeps its Warning, and so does any other error.
    /// </summary>
    [Theory]
    [InlineData("RequestBodyDestination", false, LogLevel.Debug)]
    [InlineData("RequestBodyClient", false, LogLevel.Debug)]
    [InlineData("RequestBodyDestination", true, LogLevel.Warning)]
    [InlineData("Request", false, LogLevel.Warning)]
    [InlineData("ResponseBodyDestination", false, LogLevel.Warning)]
    public void YarpRequestBodyError_AfterTheAnswer_WrittenAtDebug(string error, bool beforeAnswer, LogLevel expected)
    {
        using var provider = Provider(LogLevel.Debug);
        var copy = new IOException("x", new SocketException((int)SocketError.ConnectionReset));
        Exception exception = beforeAnswer ? new AggregateException(copy, new HttpRequestException("y")) : copy;

        // YARP's fields as its LoggerMessage template names them.
        IReadOnlyList<KeyValuePair<string, object?>> state = [new("error", error), new("message", "text")];
        provider.CreateLogger("Yarp.ReverseProxy.Forwarder.HttpForwarder")
            .Log(LogLevel.Warning, new EventId(48, "ForwardingError"), state, exception, static (_, _) => "fault");

        Assert.Equal(expected, Assert.Single(_log.Entries).Level);
    }
}
