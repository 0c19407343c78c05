using System.CommandLine;

namespace McProxyCtl;

/// <summary>The options every verb takes: where the server is, how to trust it, and the output format.</summary>
internal sealed class GlobalOptions
{
    public const string SocketVariable = "MCPROXY_SOCKET";
    public const string AddrVariable = "MCPROXY_ADDR";

    public Option<string?> Socket { get; } = new("--socket")
    {
        Description = $"Unix socket of the admin API (or {SocketVariable})",
        Recursive = true,
    };

    public Option<string?> Addr { get; } = new("--addr")
    {
        Description = $"HOST:PORT of the admin API over TLS (or {AddrVariable})",
        Recursive = true,
    };

    public Option<string?> Ca { get; } = new("--ca")
    {
        Description = "PEM CA certificate that signed the server's certificate (default: the system trust store)",
        Recursive = true,
    };

    public Option<string?> Cert { get; } = new("--cert")
    {
        Description = "PEM client certificate for mTLS (with --key)",
        Recursive = true,
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = "PEM private key of --cert",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON instead of tables",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Socket, Addr, Ca, Cert, Key, Json];
}
