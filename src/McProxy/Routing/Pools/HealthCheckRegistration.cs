using System.Net;

namespace McProxy.Routing.Pools;

/// <summary>
/// One pool under active checks: the check, the HTTP client it uses (one per pool, as the Host and protocol are
/// the pool's), and which members have a check outstanding, so a slow check is never doubled by the next tick.
/// Disposing it stops new checks of the pool; one in flight finishes and its result is dropped.
/// </summary>
internal sealed class HealthCheckRegistration : IDisposable
{
    private readonly HealthChecker _owner;
    private readonly int[] _busy;
    private volatile bool _removed;

    internal HealthCheckRegistration(HealthChecker owner, BackendPool pool, HealthCheck check, TimeSpan timeout)
    {
        _owner = owner;
        Pool = pool;
        Check = check;
        _busy = new int[pool.Members.Length];
        if (check.Kind == HealthCheckKind.Http)
        {
            Client = new HttpClient(CreateHandler(check, timeout), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    public BackendPool Pool { get; }

    public HealthCheck Check { get; }

    internal HttpClient? Client { get; }

    internal bool IsRemoved => _removed;

    public void Dispose()
    {
        if (_removed)
        {
            return;
        }

        _removed = true;
        _owner.Remove(this);
        Client?.Dispose();
    }

    /// <summary>Claims member <paramref name="index"/> for one check; false while its previous check is still out.</summary>
    internal bool TryBegin(int index) => !_removed && Interlocked.CompareExchange(ref _busy[index], 1, 0) == 0;

    internal void End(int index) => Volatile.Write(ref _busy[index], 0);

    internal Uri UriFor(PoolMember member) =>
        new($"{(Check.Protocol == BackendProtocol.Tls ? "https" : "http")}://{member.Address}{Check.Path}");

    private static SocketsHttpHandler CreateHandler(HealthCheck check, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            // A new connection per check, as HAProxy's: a kept-alive connection would go on answering for a backend
            // that no longer accepts new ones.
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectTimeout = timeout,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            // The status is all a check reads. The body is never read, and disposing the response must not drain it
            // to keep the connection (up to 1 MiB by default), which a backend with an endless body would fill every
            // check; the connection is closed instead. A head longer than 16 KiB fails the check.
            MaxResponseDrainSize = 0,
            MaxResponseHeadersLength = 16,
        };
        if (check.ValidateCertificate is { } validate)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = validate;
        }

        return handler;
    }
}
