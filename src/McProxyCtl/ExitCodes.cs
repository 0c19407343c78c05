namespace McProxyCtl;

internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The server answered with an error: bad argument, not found, already exists, failed precondition.</summary>
    public const int Rejected = 1;

    /// <summary>The command line is wrong (unknown verb, missing flag, no server named); nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>The server could not be reached (no socket, refused, TLS failed, timed out).</summary>
    public const int Unreachable = 3;
}
