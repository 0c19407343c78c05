using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using McProxy.Cli;
using McProxy.Client;
using McProxy.Model;
using McProxy.Tests.TestInfrastructure;
using Microsoft.Data.Sqlite;

namespace McProxy.Tests.Functional;

/// <summary>
/// `mc-proxy server` as an operator runs it, against what is already there: a listener address another instance
/// holds, and the admin Unix socket's path holding a file, a live or stale socket. The second instance never shares
/// the port; the file at the socket's path is never deleted; the socket is never wider than 0600.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class StartupRefusalTests : IDisposable
{
    private const string Host = "first.example.test";
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TestCertificates _certs = new();
    private readonly string _directory = TestProxy.CreateTempDirectory();

    public void Dispose()
    {
        _certs.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task SecondInstance_OnABoundAddress_ExitsNamingItAndTheFirstKeepsEveryConnection()
    {
        await using var firstBackend = new TlsBackend("first", _certs.IssueServer(Host));
        await using var secondBackend = new TlsBackend("second", _certs.IssueServer(Host));
        using var first = ServerProcess.Start("server", "-c", WriteConfig("first", "127.0.0.1:0", firstBackend.Address));
        var endPoint = await ListeningEndPointAsync(first);

        using var second = ServerProcess.Start("server", "-c", WriteConfig("second", $"127.0.0.1:{endPoint.Port}", secondBackend.Address));
        var exit = await second.WaitForExitAsync();

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains($"cannot listen on 127.0.0.1:{endPoint.Port}: address already in use", string.Join("\n", second.StderrLines), StringComparison.Ordinal);
        Assert.DoesNotContain(second.StderrLines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        for (var i = 0; i < 50; i++)
        {
            await using var client = await TlsTestClient.ConnectAsync(endPoint, Host, _certs);
            Assert.StartsWith("hello from first", await client.ReadUntilAsync("\n"), StringComparison.Ordinal);
        }

        Assert.Equal(50, firstBackend.Connections);
        Assert.Equal(0, secondBackend.Connections);
        Assert.Equal(0, await first.TerminateAsync());
    }

    [Fact]
    public async Task MetricsAddr_InUse_ExitsNamingTheKey_WithoutAStackTraceInTheLog()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var config = WriteConfig("metrics", "127.0.0.1:0", "127.0.0.1:9");
        File.AppendAllText(config, $"[metrics]\naddr = \"127.0.0.1:{port}\"\n");

        using var server = ServerProcess.Start("server", "-c", config);
        var exit = await server.WaitForExitAsync();

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains($"cannot listen on [metrics] addr 127.0.0.1:{port}: address already in use", string.Join("\n", server.StderrLines), StringComparison.Ordinal);
        Assert.DoesNotContain(server.StdoutLines, l => l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || l.Contains("\"Exception\"", StringComparison.Ordinal));
    }

    public static TheoryData<string> NotASocket => ["regular file", "directory", "fifo", "symlink to a stale socket"];

    [Theory]
    [MemberData(nameof(NotASocket))]
    public async Task GrpcAddr_AtSomethingThatIsNotASocket_RefusesNamingTheKeyAndLeavesItAsItWas(string kind)
    {
        var path = Path.Combine(_directory, "admin.sock");
        byte[] content = [.. "an operator's notes\n"u8, 0, 1, 2, 255];
        var staleTarget = Path.Combine(_directory, "stale.sock");
        switch (kind)
        {
            case "regular file":
                await File.WriteAllBytesAsync(path, content);
                break;
            case "directory":
                Directory.CreateDirectory(path);
                await File.WriteAllBytesAsync(Path.Combine(path, "inside"), content);
                break;
            case "fifo":
                Fifos.Create(_directory, "admin.sock");
                break;
            default:
                CreateStaleSocket(staleTarget);
                File.CreateSymbolicLink(path, staleTarget);
                break;
        }

        var before = FileStatus.Of(path).Kind;
        using var server = ServerProcess.Start("server", "-c", WriteConfig("server", "127.0.0.1:0", "127.0.0.1:1", $"unix:{path}"));
        var exit = await server.WaitForExitAsync();

        Assert.Equal(ExitCodes.BadConfig, exit);
        var stderr = string.Join("\n", server.StderrLines);
        Assert.Contains("grpc.addr", stderr, StringComparison.Ordinal);
        Assert.Contains(path, stderr, StringComparison.Ordinal);
        Assert.Equal(before, FileStatus.Of(path).Kind);
        switch (kind)
        {
            case "regular file":
                Assert.Equal(content, await File.ReadAllBytesAsync(path));
                break;
            case "directory":
                Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(path, "inside")));
                break;
            case "symlink to a stale socket":
                Assert.Equal(staleTarget, new FileInfo(path).LinkTarget);
                Assert.Equal(FileKind.Socket, FileStatus.Of(staleTarget).Kind);
                break;
        }

        // Refused before the database: nothing was created.
        Assert.False(File.Exists(Path.Combine(_directory, "server", "mc-proxy.db")));
        Assert.Empty(Directory.GetDirectories(_directory, ".mc-proxy-*"));
    }

    [Fact]
    public async Task GrpcAddr_AtTheDatabase_RefusesAndTheDatabaseKeepsItsRoutes()
    {
        var config = WriteConfig("server", "127.0.0.1:0", "127.0.0.1:1");
        using (var seeding = ServerProcess.Start("server", "-c", config))
        {
            await ListeningEndPointAsync(seeding);
            Assert.Equal(0, await seeding.TerminateAsync());
        }

        var database = Path.Combine(_directory, "server", "mc-proxy.db");
        var bytes = await File.ReadAllBytesAsync(database);
        await File.AppendAllTextAsync(config, $"[grpc]\naddr = \"unix:{database}\"\n");

        using var server = ServerProcess.Start("server", "-c", config);
        var exit = await server.WaitForExitAsync();

        Assert.Equal(ExitCodes.BadConfig, exit);
        Assert.Contains($"grpc.addr: {database} is a regular file, not a socket", string.Join("\n", server.StderrLines), StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(database));
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var hostnames = connection.CreateCommand();
        hostnames.CommandText = "SELECT hostname FROM routes";
        Assert.Equal(Host, hostnames.ExecuteScalar());
    }

    [Fact]
    public async Task GrpcAddr_AtAStaleSocket_ReplacesItAndServesTheAdminApi()
    {
        var path = Path.Combine(_directory, "admin.sock");
        CreateStaleSocket(path);
        var config = WriteConfig("server", "127.0.0.1:0", "127.0.0.1:1", $"unix:{path}");

        using var server = ServerProcess.Start("server", "-c", config);
        await AdminServingAsync(server);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var status = await McProxyCli.RunAsync(["status", "-c", config], stdout, stderr, CancellationToken.None);

        Assert.True(status == ExitCodes.Success, stderr.ToString());
        Assert.StartsWith("health: Serving", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        Assert.Equal(0, await server.TerminateAsync());
        Assert.Equal(FileKind.Missing, FileStatus.Of(path).Kind);
    }

    [Fact]
    public async Task GrpcAddr_AtALiveServersSocket_RefusesAndTheFirstKeepsServing()
    {
        var path = Path.Combine(_directory, "admin.sock");
        var firstConfig = WriteConfig("first", "127.0.0.1:0", "127.0.0.1:1", $"unix:{path}");
        using var first = ServerProcess.Start("server", "-c", firstConfig);
        await AdminServingAsync(first);

        using var second = ServerProcess.Start("server", "-c", WriteConfig("second", "127.0.0.1:0", "127.0.0.1:1", $"unix:{path}"));
        var exit = await second.WaitForExitAsync();

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains($"another server is listening on grpc.addr unix:{path}", string.Join("\n", second.StderrLines), StringComparison.Ordinal);
        var status = await McProxyCli.RunAsync(["status", "-c", firstConfig], TextWriter.Null, TextWriter.Null, CancellationToken.None);
        Assert.Equal(ExitCodes.Success, status);
        Assert.Equal(0, await first.TerminateAsync());
    }

    [Fact]
    public async Task GrpcAddr_UnderUmask000_TheSocketIsNeverSeenWiderThan0600()
    {
        var path = Path.Combine(_directory, "admin.sock");
        var seen = new HashSet<UnixFileMode>();
        var sawSocket = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watching = new CancellationTokenSource();
        // Looks at the path as often as it can while the server starts. Best effort: the old bind-then-chmod
        // window was a few microseconds and was rarely caught; the final mode and the umask are checked for sure.
        var watcher = Task.Run(() =>
        {
            while (!watching.IsCancellationRequested)
            {
                try
                {
                    if (FileStatus.Of(path).Kind == FileKind.Socket)
                    {
                        seen.Add(File.GetUnixFileMode(path));
                        sawSocket.TrySetResult();
                    }
                }
                catch (IOException)
                {
                }
            }
        });

        using var server = ServerProcess.StartUnderUmask("000", "server", "-c", WriteConfig("server", "127.0.0.1:0", "127.0.0.1:1", $"unix:{path}"));
        await AdminServingAsync(server);
        // On a busy machine the watcher may get its first turn only now; it stops once it has seen the socket.
        await sawSocket.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await watching.CancelAsync();
        await watcher;

        Assert.Contains("Umask:\t0000", await File.ReadAllTextAsync($"/proc/{server.Id}/status"), StringComparison.Ordinal);

        Assert.Equal([OwnerReadWrite], seen);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        Assert.Empty(Directory.GetDirectories(_directory, ".mc-proxy-*"));
        Assert.Equal(0, await server.TerminateAsync());
    }

    private static void CreateStaleSocket(string path)
    {
        StaleSocket.Create(path);
        Assert.Equal(FileKind.Socket, FileStatus.Of(path).Kind);
    }

    private static async Task<IPEndPoint> ListeningEndPointAsync(ServerProcess server)
    {
        var listening = await server.WaitForLineAsync(l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(listening);
        return IPEndPoint.Parse(document.RootElement.GetProperty("State").GetProperty("EndPoint").GetString()!);
    }

    private static Task<string> AdminServingAsync(ServerProcess server)
        => server.WaitForLineAsync(l => l.Contains("\"EventId\":600,", StringComparison.Ordinal));

    /// <summary>A config in its own directory (its own database) with one L4 route for <see cref="Host"/>.</summary>
    private string WriteConfig(string name, string addr, string backend, string? grpc = null)
    {
        var directory = Path.Combine(_directory, name);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "mc-proxy.toml");
        File.WriteAllText(path, $"""
            [database]
            path = "mc-proxy.db"
            [log]
            level = "info"
            [[listeners]]
            addr = "{addr}"
              [[listeners.routes]]
              hostname = "{Host}"
              backend = "{backend}"

            """ + (grpc is null ? "" : $"[grpc]\naddr = \"{grpc}\"\n"));
        return path;
    }
}
