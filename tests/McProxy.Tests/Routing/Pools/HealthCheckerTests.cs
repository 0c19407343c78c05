using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using McProxy.Model;
using McProxy.Net;
using McProxy.Routing.Pools;
using McProxy.Tests.TestInfrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace McProxy.Tests.Routing.Pools;

/// <summary>The checker against real loopback listeners: a TCP port, Kestrel in each backend protocol, a black hole.</summary>
public sealed class HealthCheckerTests
{
    private const string RouteHost = "pool.example.net";

    private static readonly HealthCheckerOptions Fast = new() { Interval = TimeSpan.FromMilliseconds(30), Timeout = TimeSpan.FromSeconds(2), MaxInFlight = 4 };

    private static PoolMember Member(int port, ConcurrentQueue<HealthTransition> changes, int rise = 2, int fall = 3) =>
        new(new HostPort("127.0.0.1", port), new HealthPolicy(rise, fall, Fast.Interval), changes.Enqueue);

    [Fact]
    public async Task TcpCheck_ListeningPortStaysUp_ClosedPortGoesDownAfterFall_BackAfterRise()
    {
        var changes = new ConcurrentQueue<HealthTransition>();
        var listener = StartListener(0);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var member = Member(port, changes);
        await using var checker = new HealthChecker(Fast, NullLogger.Instance);
        checker.Register(new BackendPool([member], BalanceAlgorithm.First), HealthCheck.Tcp);
        checker.Start();

        await WaitUntilAsync(() => member.ChecksPassed >= 5, "five passed TCP checks");
        Assert.True(member.IsUp);
        Assert.Empty(changes);

        listener.Stop();
        await WaitUntilAsync(() => !changes.IsEmpty, "the member to go down");
        var down = Assert.Single(changes);
        Assert.False(down.Up);
        Assert.False(member.IsUp);
        Assert.Equal(3, down.Checks);
        Assert.Equal("connection refused", down.Reason);
        Assert.Equal($"backend 127.0.0.1:{port} down after 3 failed checks: connection refused", down.Describe());

        listener = StartListener(port);
        try
        {
            await WaitUntilAsync(() => changes.Count >= 2, "the member to come back");
            var up = changes.Last();
            Assert.True(up.Up);
            Assert.True(member.IsUp);
            Assert.Equal(2, up.Checks);
            Assert.Equal(2, changes.Count);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData(BackendMode.Http1, "HTTP/1.1")]
    [InlineData(BackendMode.H2c, "HTTP/2")]
    [InlineData(BackendMode.Tls, "HTTP/2")]
    public async Task HttpCheck_RedirectIsHealthy_500GoesDownAfterFall_200BackAfterRise(BackendMode mode, string expectedProtocol)
    {
        using var certificates = new TestCertificates();
        using var certificate = certificates.IssueServer(RouteHost);
        var status = new StrongBox<int>(302);
        var seen = new ConcurrentQueue<(string Host, string Protocol, string Connection)>();
        await using var backend = await HttpTestBackend.StartAsync(mode, mode == BackendMode.Tls ? certificate : null, configure: app =>
            app.MapGet("/healthz", (HttpContext context) =>
            {
                seen.Enqueue((context.Request.Host.Value ?? "", context.Request.Protocol, context.Connection.Id));
                return Results.StatusCode(Volatile.Read(ref status.Value));
            }));

        var validated = new ConcurrentQueue<string>();
        var protocol = mode switch { BackendMode.Http1 => BackendProtocol.Http1, BackendMode.H2c => BackendProtocol.H2c, _ => BackendProtocol.Tls };
        var check = HealthCheck.Http("/healthz", RouteHost, protocol, (sender, presented, _, _) =>
        {
            // The server name the handshake sent: the route's hostname, taken from the Host header.
            validated.Enqueue(((SslStream)sender).TargetHostName);
            return presented is not null && new X509Certificate2(presented).Thumbprint == certificate.Thumbprint;
        });

        var changes = new ConcurrentQueue<HealthTransition>();
        var member = Member(backend.EndPoint.Port, changes);
        await using var checker = new HealthChecker(Fast, NullLogger.Instance);
        checker.Register(new BackendPool([member], BalanceAlgorithm.First), check);
        checker.Start();

        await WaitUntilAsync(() => member.ChecksPassed >= 4, "four passed HTTP checks answered 302");
        Assert.True(member.IsUp);
        Assert.All(seen, s => Assert.Equal((RouteHost, expectedProtocol), (s.Host, s.Protocol)));

        // A new connection per check: a kept-alive one would hide a backend that stopped accepting.
        Assert.Equal(seen.Count, seen.Select(s => s.Connection).Distinct().Count());
        if (mode == BackendMode.Tls)
        {
            Assert.NotEmpty(validated);
            Assert.All(validated, name => Assert.Equal(RouteHost, name));
        }
        else
        {
            Assert.Empty(validated);
        }

        Volatile.Write(ref status.Value, 500);
        await WaitUntilAsync(() => !changes.IsEmpty, "the member to go down on HTTP 500");
        var down = Assert.Single(changes);
        Assert.False(down.Up);
        Assert.Equal(3, down.Checks);
        Assert.Equal("HTTP 500", down.Reason);

        Volatile.Write(ref status.Value, 200);
        await WaitUntilAsync(() => changes.Count >= 2, "the member to come back on HTTP 200");
        var up = changes.Last();
        Assert.True(up.Up);
        Assert.Equal(2, up.Checks);
        Assert.Equal("HTTP 200", up.Reason);
    }

    [Fact]
    public async Task HttpCheck_UnverifiableCertificate_IsAFailedCheck()
    {
        using var certificates = new TestCertificates();
        using var certificate = certificates.IssueServer(RouteHost);
        await using var backend = await HttpTestBackend.StartAsync(BackendMode.Tls, certificate);
        var changes = new ConcurrentQueue<HealthTransition>();
        var member = Member(backend.EndPoint.Port, changes, fall: 1);
        await using var checker = new HealthChecker(Fast, NullLogger.Instance);
        checker.Register(new BackendPool([member], BalanceAlgorithm.First), HealthCheck.Http("/", RouteHost, BackendProtocol.Tls, (_, _, _, _) => false));
        checker.Start();

        await WaitUntilAsync(() => !changes.IsEmpty, "the member to go down on a refused certificate");
        Assert.False(member.IsUp);
        Assert.Equal("secure connection error", Assert.Single(changes).Reason);
        Assert.Equal(0, backend.Requests);
    }

    [Fact]
    public async Task BlackHoledMembers_TimeOut_NoMoreThanMaxInFlightAtOnce_DisposeLeavesNothingRunning()
    {
        using var hole = await BlackHoleBackend.StartAsync();
        var options = new HealthCheckerOptions { Interval = TimeSpan.FromMilliseconds(20), Timeout = TimeSpan.FromMilliseconds(200), MaxInFlight = 2 };
        var changes = new ConcurrentQueue<HealthTransition>();
        var members = Enumerable.Range(0, 6)
            .Select(_ => new PoolMember(new HostPort("127.0.0.1", hole.EndPoint.Port), new HealthPolicy(2, 2, options.Interval), changes.Enqueue))
            .ToArray();
        var checker = new HealthChecker(options, NullLogger.Instance);
        try
        {
            checker.Register(new BackendPool(members, BalanceAlgorithm.RoundRobin), HealthCheck.Tcp);
            checker.Start();

            await WaitUntilAsync(() => changes.Count == members.Length, "every black-holed member to go down");
            Assert.All(changes, c => Assert.Equal("timed out after 200ms", c.Reason));
            Assert.Equal(members.Length, changes.Select(c => c.Member).Distinct().Count());
            Assert.Equal(2, checker.PeakInFlight);
            await WaitUntilAsync(() => checker.InFlight == 2, "the next round's checks to fill both slots");
        }
        finally
        {
            await checker.DisposeAsync();
        }

        // Disposal cancelled the checks in flight and waited for them: nothing runs, and nothing counts any more.
        Assert.Equal(0, checker.InFlight);
        var failed = members.Sum(m => m.ChecksFailed);
        checker.CheckNow();
        Assert.Equal(0, checker.InFlight);
        Assert.Equal(failed, members.Sum(m => m.ChecksFailed));
        Assert.Equal(2, checker.PeakInFlight);
    }

    [Fact]
    public async Task Registration_Disposed_StopsCheckingThatPoolOnly()
    {
        var listener = StartListener(0);
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var changes = new ConcurrentQueue<HealthTransition>();
            var (kept, dropped) = (Member(port, changes), Member(port, changes));
            await using var checker = new HealthChecker(Fast, NullLogger.Instance);
            checker.Register(new BackendPool([kept], BalanceAlgorithm.First), HealthCheck.Tcp);
            var registration = checker.Register(new BackendPool([dropped], BalanceAlgorithm.First), HealthCheck.Tcp);
            checker.Start();
            await WaitUntilAsync(() => dropped.ChecksPassed >= 2, "the second pool to be checked");

            registration.Dispose();
            var last = dropped.ChecksPassed;
            var keptBefore = kept.ChecksPassed;
            await WaitUntilAsync(() => kept.ChecksPassed >= keptBefore + 3, "three more checks of the first pool");
            Assert.InRange(dropped.ChecksPassed, last, last + 1);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task HttpCheck_EndlessChunkedBody_PassesOnTheStatus_BodyNotDrained()
    {
        // A backend answering 200 with a body that never ends: the status is all the check needs, so the proxy
        // reads no body (SocketsHttpHandler would drain up to 1 MiB of it per check to keep the connection).
        var perConnection = new ConcurrentQueue<long>();
        var listener = StartRawBackend(async socket =>
        {
            await socket.SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());
            var chunk = new byte[16384 + 10];
            "4000\r\n"u8.CopyTo(chunk);
            chunk.AsSpan(6, 16384).Fill((byte)'x');
            "\r\n"u8.CopyTo(chunk.AsSpan(6 + 16384));
            long sent = 0;
            try
            {
                while (sent < 64L << 20)
                {
                    sent += await socket.SendAsync(chunk.AsMemory(0, 6 + 16384 + 2));
                }
            }
            catch (SocketException)
            {
                // The check closed the connection.
            }

            perConnection.Enqueue(sent);
        });
        try
        {
            var changes = new ConcurrentQueue<HealthTransition>();
            var member = Member(((IPEndPoint)listener.LocalEndpoint).Port, changes, rise: 1, fall: 1);
            await using var checker = new HealthChecker(Fast, NullLogger.Instance);
            checker.Register(new BackendPool([member], BalanceAlgorithm.First), HealthCheck.Http("/healthz", RouteHost, BackendProtocol.Http1));
            checker.Start();

            await WaitUntilAsync(() => perConnection.Count >= 3, "three checks' connections to be closed by the proxy");
            Assert.True(member.ChecksPassed >= 3);
            Assert.Equal(0, member.ChecksFailed);
            Assert.True(member.IsUp);
            // What the kernel's socket buffers took (the backend's send buffer is 32 KiB), never the 1 MiB a drain reads.
            Assert.All(perConnection, sent => Assert.InRange(sent, 1, 768 * 1024));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData("endless headers")]
    [InlineData("no answer")]
    public async Task HttpCheck_HostileBackend_IsAFailedCheckWithinTheBounds(string behaviour)
    {
        var perConnection = new ConcurrentQueue<long>();
        var listener = StartRawBackend(async socket =>
        {
            long sent = 0;
            try
            {
                if (behaviour == "no answer")
                {
                    // Reads the rest and never answers, until the check gives up and closes.
                    var buffer = new byte[1024];
                    while (await socket.ReceiveAsync(buffer) > 0)
                    {
                    }
                }
                else
                {
                    sent += await socket.SendAsync("HTTP/1.1 200 OK\r\n"u8.ToArray());
                    var line = Encoding.ASCII.GetBytes($"X-Filler: {new string('a', 1000)}\r\n");
                    while (sent < 64L << 20)
                    {
                        sent += await socket.SendAsync(line);
                    }
                }
            }
            catch (SocketException)
            {
                // The check closed the connection.
            }

            perConnection.Enqueue(sent);
        });
        try
        {
            var options = Fast with { Timeout = TimeSpan.FromMilliseconds(300) };
            var changes = new ConcurrentQueue<HealthTransition>();
            var member = new PoolMember(new HostPort("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port), new HealthPolicy(1, 2, options.Interval), changes.Enqueue);
            await using var checker = new HealthChecker(options, NullLogger.Instance);
            checker.Register(new BackendPool([member], BalanceAlgorithm.First), HealthCheck.Http("/healthz", RouteHost, BackendProtocol.Http1));
            checker.Start();

            await WaitUntilAsync(() => !changes.IsEmpty && perConnection.Count >= 2, "the member to go down and two checks' connections to be closed");
            var down = Assert.Single(changes);
            Assert.False(down.Up);
            Assert.Equal(0, member.ChecksPassed);
            Assert.Equal(behaviour == "no answer" ? "timed out after 300ms" : "configuration limit exceeded", down.Reason);
            // The header limit (16 KiB) and the socket buffers, not the 64 MiB the backend would send.
            Assert.All(perConnection, sent => Assert.InRange(sent, 0, 768 * 1024));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task LogTransition_DownIsAWarningUpIsInformation_EachOneLine()
    {
        var log = new TestLog();
        using var factory = log.CreateFactory();
        await using var checker = new HealthChecker(Fast, factory.CreateLogger("McProxy.Routing.Pools.HealthChecker"));
        var member = new PoolMember(new HostPort("10.0.0.1", 80), new HealthPolicy(2, 3, Fast.Interval), checker.LogTransition);

        for (var i = 0; i < 4; i++)
        {
            member.RecordCheck(false, "connection refused");
        }

        for (var i = 0; i < 3; i++)
        {
            member.RecordCheck(true, "connected");
        }

        Assert.Collection(
            log.Entries,
            down => Assert.Equal((700, LogLevel.Warning, "backend 10.0.0.1:80 down after 3 failed checks: connection refused"), (down.EventId, down.Level, down.Message)),
            up => Assert.Equal((701, LogLevel.Information, "backend 10.0.0.1:80 up after 2 passed checks: connected"), (up.EventId, up.Level, up.Message)));
    }

    /// <summary>
    /// Listens on 127.0.0.1 and hands each accepted connection, its request head read and its send buffer at 32 KiB
    /// (so the kernel holds little of what it sends), to <paramref name="serve"/>.
    /// </summary>
    private static TcpListener StartRawBackend(Func<Socket, Task> serve)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var accepted = await listener.AcceptSocketAsync();
                    _ = Task.Run(async () =>
                    {
                        using (accepted)
                        {
                            accepted.SendBufferSize = 32 * 1024;
                            var head = new List<byte>();
                            var buffer = new byte[1024];
                            try
                            {
                                while (!head.ToArray().AsSpan().EndsWith("\r\n\r\n"u8))
                                {
                                    var read = await accepted.ReceiveAsync(buffer);
                                    if (read == 0)
                                    {
                                        return;
                                    }

                                    head.AddRange(buffer.AsSpan(0, read));
                                }
                            }
                            catch (SocketException)
                            {
                                return;
                            }

                            await serve(accepted);
                        }
                    });
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        });
        return listener;
    }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> and accepts and closes every connection.</summary>
    private static TcpListener StartListener(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var accepted = await listener.AcceptSocketAsync();
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        });
        return listener;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"waited in vain for {what}");
            }
        }
    }
}
