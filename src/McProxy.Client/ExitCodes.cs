namespace McProxy.Client;

/// <summary>
/// The exit codes of `mc-proxy` and `mcproxyctl`, one table for both (README.md, "Command line" and "Admin API and
/// mcproxyctl"): scripts and systemd read them. Each code has the name each program's code reads best with.
/// </summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>
    /// It failed at run time: the server could not serve (an address in use, the database could not open), or
    /// `mc-proxy status` found it up but not serving.
    /// </summary>
    public const int Failed = 1;

    /// <summary>`mcproxyctl`: the server answered with an error (bad argument, not found, already exists, failed precondition).</summary>
    public const int Rejected = Failed;

    /// <summary>
    /// Nothing was done: the config is invalid or the command line is wrong, or `mc-proxy server` refused what is on
    /// disk (a database from a newer version or not a database, snapshots beside a missing database, a non-socket
    /// at the admin socket's path). systemd does not restart on it: only an operator can fix it.
    /// </summary>
    public const int BadConfig = 2;

    /// <summary>`mcproxyctl`: the command line is wrong (unknown verb, missing flag, no server named); nothing was sent.</summary>
    public const int Usage = BadConfig;

    /// <summary>The server could not be reached (no socket, refused, TLS failed, timed out).</summary>
    public const int Unreachable = 3;
}
