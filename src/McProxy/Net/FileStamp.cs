namespace McProxy.Net;

/// <summary>
/// A version of a file as the reload checks see it: modification time and size (one stat). Files that mc-proxy
/// re-reads while it runs (route certificates, geoip_db, backend_ca) are reloaded when their stamp changes; a
/// missing file has the default stamp.
/// </summary>
internal readonly record struct FileStamp(DateTime Written, long Length)
{
    public static FileStamp Of(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? new FileStamp(file.LastWriteTimeUtc, file.Length) : new FileStamp(default, -1);
    }
}
