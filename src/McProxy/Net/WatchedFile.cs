namespace McProxy.Net;

/// <summary>
/// A file (or a set of files loaded together, such as a certificate and its key) that mc-proxy re-reads while it
/// runs: what was loaded from it and the <see cref="FileStamp"/>s it was loaded at. <see cref="Refresh"/>, called
/// by the <see cref="FileWatcher"/>'s tick, loads the files again when a stamp has changed; files that do not load
/// leave the previous value in force and are not tried again until they change once more, so a half-written
/// replacement never takes away a working one and is reported once. Readers only read <see cref="Current"/>, a
/// field swapped with one volatile write: the file system is touched by the watcher and never by them.
/// </summary>
internal sealed class WatchedFile<T>
    where T : class
{
    /// <summary>Loads the files, or returns null with the <paramref name="reason"/> they cannot be loaded.</summary>
    public delegate T? Loader(out string? reason);

    private readonly string[] _paths;
    private readonly Loader _load;
    private readonly Lock _reload = new();
    private volatile Loaded _loaded;

    /// <summary>Loads <paramref name="paths"/> now; when they do not load, <see cref="Current"/> is null and <see cref="Error"/> says why.</summary>
    public WatchedFile(IReadOnlyList<string> paths, Loader load)
    {
        ArgumentOutOfRangeException.ThrowIfZero(paths.Count);
        _paths = [.. paths];
        _load = load;
        var stamps = Stamp();
        var value = load(out var reason);
        _loaded = new Loaded(stamps, value, value is null ? reason : null);
    }

    /// <summary>Loads the file at <paramref name="path"/> now; null with <paramref name="reason"/> when it does not load.</summary>
    public static WatchedFile<T>? TryOpen(string path, Loader load, out string? reason)
    {
        var file = new WatchedFile<T>([path], load);
        reason = file.Error;
        return file.Current is null ? null : file;
    }

    /// <summary>The first (or only) file.</summary>
    public string Path => _paths[0];

    /// <summary>The value in force: the last that loaded, or null when none ever did.</summary>
    public T? Current => _loaded.Value;

    /// <summary>Why nothing is in force (the files never loaded), or null when a value is.</summary>
    public string? Error => _loaded.Error;

    /// <summary>
    /// Loads the files again if one changed since the last attempt (one stat per file). True when a new value is now
    /// in force; false when nothing changed, or when the new files did not load, in which case
    /// <paramref name="reason"/> says why.
    /// </summary>
    public bool Refresh(out string? reason)
    {
        reason = null;
        var stamps = Stamp();
        if (Same(stamps, _loaded.Stamps))
        {
            return false;
        }

        lock (_reload)
        {
            var loaded = _loaded;
            if (Same(stamps, loaded.Stamps))
            {
                return false;
            }

            // A value that is replaced is not disposed: a reader may be using it right now.
            var value = _load(out reason);
            _loaded = value is null ? loaded with { Stamps = stamps, Error = loaded.Value is null ? reason : null } : new Loaded(stamps, value, null);
            return value is not null;
        }
    }

    private FileStamp[] Stamp() => Array.ConvertAll(_paths, FileStamp.Of);

    private static bool Same(FileStamp[] a, FileStamp[] b) => a.AsSpan().SequenceEqual(b);

    private sealed record Loaded(FileStamp[] Stamps, T? Value, string? Error);
}
