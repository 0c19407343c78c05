using System.Net;
using System.Net.Sockets;
using McProxy.Net;

namespace McProxy.Routing.Pools;

/// <summary>
/// Active health checks for registered pools, on the checker's own timer and never on a connection's path: every
/// <see cref="HealthCheckerOptions.Interval"/> each member of each pool gets one check (unless its last one is still
/// out), each within <see cref="HealthCheckerOptions.Timeout"/>, at most <see cref="HealthCheckerOptions.MaxInFlight"/>
/// at once. Results go to <see cref="PoolMember.RecordCheck"/>, which raises a change once.
/// </summary>
internal sealed partial class HealthChecker : IAsyncDisposable
{
    private readonly HealthCheckerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _running = [];
    private HealthCheckRegistration[] _registrations = [];
    private Task _loop = Task.CompletedTask;
    private int _inFlight;
    private int _peakInFlight;

    public HealthChecker(HealthCheckerOptions options, ILogger logger, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxInFlight, 1);
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _slots = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
    }

    public HealthCheckerOptions Options => _options;

    /// <summary>Checks running now (holding a slot).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most checks ever running at once: what the bound is measured by.</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>Pools registered now (what a route swap must keep at one per checked route).</summary>
    public int Registered => Volatile.Read(ref _registrations).Length;

    /// <summary>Starts the timer: one round now, then one every interval, until disposed.</summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            if (_loop.IsCompleted)
            {
                // On a pool thread: the first round runs at once and must not run under this lock or on the caller.
                var stop = _stop.Token;
                _loop = Task.Run(() => RunAsync(stop), CancellationToken.None);
            }
        }
    }

    /// <summary>Checks <paramref name="pool"/>'s members with <paramref name="check"/> from the next round on; dispose the registration to stop.</summary>
    public HealthCheckRegistration Register(BackendPool pool, HealthCheck check)
    {
        var registration = new HealthCheckRegistration(this, pool, check, _options.Timeout);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _registrations = [.. _registrations, registration];
        }

        return registration;
    }

    /// <summary>One round: starts a check of every registered member that has none outstanding.</summary>
    public void CheckNow()
    {
        foreach (var registration in Volatile.Read(ref _registrations))
        {
            var members = registration.Pool.Members;
            for (var i = 0; i < members.Length; i++)
            {
                if (!registration.TryBegin(i))
                {
                    continue;
                }

                lock (_lock)
                {
                    if (_stop.IsCancellationRequested)
                    {
                        registration.End(i);
                        return;
                    }

                    var task = CheckMemberAsync(registration, i, _stop.Token);
                    if (!task.IsCompleted)
                    {
                        _running.Add(task);
                        _ = task.ContinueWith(
                            static (done, state) => ((HealthChecker)state!).Forget(done),
                            this,
                            CancellationToken.None,
                            TaskContinuationOptions.ExecuteSynchronously,
                            TaskScheduler.Default);
                    }
                }
            }
        }
    }

    /// <summary>The log line for a change, warning when down (once per change: the member raises each change once).</summary>
    public void LogTransition(HealthTransition transition)
    {
        if (transition.Up)
        {
            Log.BackendUp(_logger, transition.Describe());
        }
        else
        {
            Log.BackendDown(_logger, transition.Describe());
        }
    }

    /// <summary>Stops the timer, cancels the checks in flight and waits for every one of them.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] running;
        HealthCheckRegistration[] registrations;
        lock (_lock)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
            running = [.. _running];
            registrations = _registrations;
        }

        await _loop.ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    internal void Remove(HealthCheckRegistration registration)
    {
        lock (_lock)
        {
            _registrations = [.. _registrations.Where(r => r != registration)];
        }
    }

    private void Forget(Task task)
    {
        lock (_lock)
        {
            _running.Remove(task);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.Interval, _time);
            do
            {
                CheckNow();
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CheckMemberAsync(HealthCheckRegistration registration, int index, CancellationToken stop)
    {
        var member = registration.Pool.Members[index];
        try
        {
            // Off the caller's thread at once: a round starts many checks and must not run any of them inline.
            await Task.Yield();
            await _slots.WaitAsync(stop).ConfigureAwait(false);
            try
            {
                var running = Interlocked.Increment(ref _inFlight);
                InterlockedMax(ref _peakInFlight, running);
                var (passed, reason) = await ProbeAsync(registration, member, stop).ConfigureAwait(false);
                if (!registration.IsRemoved && !stop.IsCancellationRequested)
                {
                    member.RecordCheck(passed, reason);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
                _slots.Release();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.CheckCrashed(_logger, member.Address.ToString(), e);
        }
        finally
        {
            registration.End(index);
        }
    }

    private async Task<(bool Passed, string Reason)> ProbeAsync(HealthCheckRegistration registration, PoolMember member, CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(_options.Timeout);
        try
        {
            return registration.Check.Kind == HealthCheckKind.Tcp
                ? await ConnectAsync(member.Address, deadline.Token).ConfigureAwait(false)
                : await GetAsync(registration, member, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return (false, $"timed out after {Duration.Format(_options.Timeout)}");
        }
        catch (SocketException e)
        {
            return (false, ProbeFailure.Describe(e));
        }
        catch (HttpRequestException e) when (!stop.IsCancellationRequested)
        {
            return (false, ProbeFailure.Describe(e));
        }
        catch (ObjectDisposedException) when (registration.IsRemoved)
        {
            // The pool left while this check was out; its result is dropped.
            return (false, "check cancelled");
        }
    }

    private static async Task<(bool, string)> ConnectAsync(HostPort address, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        EndPoint endPoint = IPAddress.TryParse(address.Host, out var ip) ? new IPEndPoint(ip, address.Port) : new DnsEndPoint(address.Host, address.Port);
        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        return (true, "connected");
    }

    private static async Task<(bool, string)> GetAsync(HealthCheckRegistration registration, PoolMember member, CancellationToken cancellationToken)
    {
        var check = registration.Check;
        using var request = new HttpRequestMessage(HttpMethod.Get, registration.UriFor(member));
        if (check.Host.Length > 0)
        {
            // Also the TLS server name: SocketsHttpHandler takes SNI from the Host header when it is set.
            request.Headers.Host = check.Host;
        }

        (request.Version, request.VersionPolicy) = check.Protocol switch
        {
            BackendProtocol.Http1 => (HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact),
            BackendProtocol.H2c => (HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact),
            _ => (HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower),
        };
        using var response = await registration.Client!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        return (status is >= 200 and < 400, $"HTTP {status}");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
