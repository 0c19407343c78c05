namespace McProxy.Cli;

internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The server failed at run time (a listener could not bind, the database could not open).</summary>
    public const int Failed = 1;

    /// <summary>The config is invalid or the command line is wrong; nothing was started or written.</summary>
    public const int BadConfig = 2;

    /// <summary>`status`: the running server could not be reached through [grpc].</summary>
    public const int Unreachable = 3;
}
