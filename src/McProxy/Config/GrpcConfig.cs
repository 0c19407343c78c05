namespace McProxy.Config;

internal sealed record GrpcConfig
{
    /// <summary>"unix:/path/to.sock" or "host:port" (TLS).</summary>
    public required string Addr { get; init; }

    public string TlsCert { get; init; } = "";

    public string TlsKey { get; init; } = "";

    public string ClientCa { get; init; } = "";

    public bool IsUnixSocket => Addr.StartsWith(UnixPrefix, StringComparison.Ordinal);

    public string UnixSocketPath => Addr[UnixPrefix.Length..];

    public const string UnixPrefix = "unix:";
}
