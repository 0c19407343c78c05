namespace McProxy.Net;

/// <summary>
/// A file mc-proxy re-reads while it runs (geoip_db, backend_ca): what was loaded from it, and the
/// <see cref="FileStamp"/> it was loaded at. <see cref="Refresh"/> loads the file again when its stamp has
/// changed; a file that does not load leaves the previous value in force and is not tried again until it changes
/// once more, so a half-written replacement never takes away a working one and is reported once.
/// </summary>
internal sealed class ReloadableFile<T>
    where T : class
{
    /// <summary>Loads the file at <paramref name="path"/>, or returns null with the <paramref name="reason"/> it cannot.</summary>
    public delegate T? Loader(string path, out string? reason);

    private readonly Loader _load;
    private readonly Lock _reload = new();
    private volatile Loaded _loaded;

    /// <summary>Loads the file now; null with <paramref name="reason"/> when it does not load.</summary>
    public static ReloadableFile<T>? TryOpen(string path, Loader load, out string? reason)
    {
        var stamp = FileStamp.Of(path);
        return load(path, out reason) is { } value ? new ReloadableFile<T>(path, load, new Loaded(stamp, value)) : null;
    }

    private ReloadableFile(string path, Loader load, Loaded loaded)
    {
        Path = path;
        _load = load;
        _loaded = loaded;
    }

    public string Path { get; }

    /// <summary>The value in force: the last that loaded.</summary>
    public T Current => _loaded.Value;

    /// <summary>
    /// Loads the file again if it changed since the last attempt. True when a new value is now in force; false when
    /// nothing changed, or when the new file did not load, in which case <paramref name="reason"/> says why.
    /// </summary>
    public bool Refresh(out string? reason)
    {
        reason = null;
        var stamp = FileStamp.Of(Path);
        if (stamp == _loaded.Stamp)
        {
            return false;
        }

        lock (_reload)
        {
            var loaded = _loaded;
            if (stamp == loaded.Stamp)
            {
                return false;
            }

            // A value that is replaced is not disposed: a reader may be using it right now.
            var value = _load(Path, out reason);
            _loaded = new Loaded(stamp, value ?? loaded.Value);
            return value is not null;
        }
    }

    private sealed record Loaded(FileStamp Stamp, T Value);
}
