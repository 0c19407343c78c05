namespace McProxy.Net;

/// <summary>
/// The one place that looks at the files mc-proxy re-reads while it runs (route certificates and keys, backend_ca,
/// geoip_db): every <see cref="Interval"/> it runs each registered check, which stats its files and loads a changed
/// one (<see cref="WatchedFile{T}"/>). Loading happens here, off the request path; handshakes and lookups read what
/// was loaded from memory.
/// </summary>
/// <remarks>
/// Polling, not inotify (<see cref="FileSystemWatcher"/>): certbot renews by pointing a symlink in <c>live/</c> at
/// new files in <c>archive/</c>, and geoipupdate and the runbook's <c>mv</c> replace a file by rename; an inotify
/// watch follows the old inode or the link's directory, not the target, and can overflow or hit the per-user watch
/// limit. A stat of a few files per interval costs nothing and sees every way a file can be replaced.
/// </remarks>
internal sealed partial class FileWatcher(TimeSpan interval, ILogger logger)
{
    /// <summary>30 s: a renewed certificate or a new GeoIP database is in force within half a minute, at the cost of a few stats.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    private readonly Lock _adding = new();
    private volatile Action[] _checks = [];

    /// <summary>How often the files are checked.</summary>
    public TimeSpan Interval { get; } = interval;

    /// <summary>How many checks are registered.</summary>
    public int Count => _checks.Length;

    /// <summary>Runs <paramref name="check"/> (a <see cref="WatchedFile{T}.Refresh"/> and its logging) at every tick from now on.</summary>
    public void Add(Action check)
    {
        lock (_adding)
        {
            _checks = [.. _checks, check];
        }
    }

    /// <summary>One tick: runs every check now. A check that throws is logged and the others still run.</summary>
    public void CheckNow()
    {
        foreach (var check in _checks)
        {
            try
            {
                check();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.CheckFailed(logger, e);
            }
        }
    }

    /// <summary>Ticks every <see cref="Interval"/> until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                CheckNow();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
