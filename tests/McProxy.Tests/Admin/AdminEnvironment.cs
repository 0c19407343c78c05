using McProxy.Client;
using McProxy.Store;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Admin;

/// <summary>
/// A proxy with its admin API on a Unix socket in its temporary directory, one listener ("127.0.0.1:0") with an
/// l4 route to a TLS backend and an l7 route whose certificate files exist, and a client on the socket.
/// </summary>
internal sealed class AdminEnvironment : IAsyncDisposable
{
    public const string Listener = "127.0.0.1:0";
    public const string L4Host = "seed.example.test";
    public const string L7Host = "web.example.test";

    private AdminEnvironment(TestCertificates certs, TlsBackend one, TlsBackend two, string directory, string l7Cert, string l7Key)
    {
        Certs = certs;
        One = one;
        Two = two;
        Directory = directory;
        L7Cert = l7Cert;
        L7Key = l7Key;
    }

    public TestCertificates Certs { get; }

    public TlsBackend One { get; }

    public TlsBackend Two { get; }

    public string Directory { get; }

    public string L7Cert { get; }

    public string L7Key { get; }

    public TestProxy Proxy { get; private set; } = null!;

    public McProxyClient Client { get; private set; } = null!;

    public string SocketPath => Path.Combine(Directory, "admin.sock");

    public ProxyStore Store => Proxy.Server.Store;

    /// <summary>The [grpc] section; a Unix socket unless the test sets another before the start.</summary>
    public string Grpc { get; set; } = """
        [grpc]
        addr = "unix:admin.sock"
        """;

    public string Toml => $"""
        {Grpc}

        [[listeners]]
        addr = "{Listener}"
          [[listeners.routes]]
          hostname = "{L4Host}"
          backend = "{One.Address}"
          [[listeners.routes]]
          hostname = "{L7Host}"
          backend = "{Two.Address}"
          mode = "l7"
          tls_cert = "{L7Cert}"
          tls_key = "{L7Key}"
        """;

    /// <summary>Starts the proxy; <paramref name="grpc"/> may write files into the directory and return another [grpc] section.</summary>
    public static async Task<AdminEnvironment> StartAsync(Func<AdminEnvironment, string>? grpc = null)
    {
        var certs = new TestCertificates();
        var one = new TlsBackend("one", certs.IssueServer("seed.example.test", "new.example.test", "moved.example.test"));
        var two = new TlsBackend("two", certs.IssueServer("seed.example.test", "new.example.test", "moved.example.test"));
        var directory = TestProxy.CreateTempDirectory();
        var (l7Cert, l7Key) = AdminCertificates.Write(certs.IssueServer(L7Host), directory, "web");
        var environment = new AdminEnvironment(certs, one, two, directory, l7Cert, l7Key);
        if (grpc is not null)
        {
            environment.Grpc = grpc(environment);
        }

        await environment.StartProxyAsync();
        return environment;
    }

    /// <summary>Starts (or, after <see cref="StopProxyAsync"/>, restarts) the proxy on the same directory and database.</summary>
    public async Task StartProxyAsync()
    {
        Proxy = await TestProxy.StartAsync(Toml, Directory);
        Client = McProxyClient.ForUnixSocket(SocketPath);
    }

    /// <summary>The admin API's TCP port, when [grpc] is host:port.</summary>
    public int AdminPort => ((System.Net.IPEndPoint)Proxy.Server.AdminEndPoint!).Port;

    public async Task StopProxyAsync()
    {
        Client.Dispose();
        await Proxy.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopProxyAsync();
        await One.DisposeAsync();
        await Two.DisposeAsync();
        Certs.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
