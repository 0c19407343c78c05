namespace McProxy.Cli;

internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The server failed at run time (a listener's address in use, the database could not open).</summary>
    public const int Failed = 1;

    /// <summary>
    /// The config is invalid or the command line is wrong, or `server` refused what is on disk (a database from a
    /// newer version or not a database, snapshots beside a missing database, a non-socket at the admin socket's
    /// path); nothing was started or written. systemd does not restart on it: only an operator can fix it.
    /// </summary>
    public const int BadConfig = 2;

    /// <summary>`status`: the running server could not be reached through [grpc].</summary>
    public const int Unreachable = 3;
}
