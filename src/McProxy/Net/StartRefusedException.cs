namespace McProxy.Net;

/// <summary>
/// Start-up refused because of what is on disk, which only an operator can resolve (a database from a newer
/// version, a file that is not a database, snapshots beside a missing database, a non-socket at the admin socket's
/// path). Nothing was started, created or changed; `mc-proxy server` exits with <see cref="Client.ExitCodes.BadConfig"/>
/// so that systemd does not restart it in vain.
/// </summary>
internal sealed class StartRefusedException : Exception
{
    public StartRefusedException(string message)
        : base(message)
    {
    }

    public StartRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StartRefusedException()
    {
    }
}
