using Grpc.Core;
using McProxy.Cli;
using McProxy.Client;
using McProxy.Tests.TestInfrastructure;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Tests.Admin;

/// <summary>
/// Every file a key or an RPC names is loaded and checked before it is accepted, without blocking: at start through
/// the real `mc-proxy server` (exit 2, the key named, no database made), and over the API, where no file is opened
/// under the mutation lock.
/// </summary>
public sealed class FileCheckTests : IDisposable
{
    private readonly TestCertificates _certs = new();
    private readonly string _directory = TestProxy.CreateTempDirectory();

    public void Dispose()
    {
        _certs.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    public static TheoryData<string> StartCases => new(StartConfigs.Keys);

    /// <summary>Per case: the route's extra lines, the extra sections, and the key the error must name.</summary>
    private static readonly Dictionary<string, (Func<Files, string> Route, Func<Files, string> Sections, string Key)> StartConfigs = new()
    {
        ["l7 certificate not PEM"] = (f => $"tls_cert = \"{f.Garbage}\"\ntls_key = \"{f.Key}\"", _ => "", "routes[0] (web.example.test).tls_cert: "),
        ["l7 key of another certificate"] = (f => $"tls_cert = \"{f.Cert}\"\ntls_key = \"{f.OtherKey}\"", _ => "", "routes[0] (web.example.test).tls_key: "),
        ["l7 certificate a FIFO"] = (f => $"tls_cert = \"{f.Fifo}\"\ntls_key = \"{f.Key}\"", _ => "", "routes[0] (web.example.test).tls_cert: "),
        ["l7 certificate a directory"] = (f => $"tls_cert = \"{f.Directory}\"\ntls_key = \"{f.Key}\"", _ => "", "routes[0] (web.example.test).tls_cert: "),
        ["l7 certificate over 1 MiB"] = (f => $"tls_cert = \"{f.Huge}\"\ntls_key = \"{f.Key}\"", _ => "", "routes[0] (web.example.test).tls_cert: "),
        ["backend_ca not a certificate"] = (f => $"tls_cert = \"{f.Cert}\"\ntls_key = \"{f.Key}\"\nbackend_tls = true\nbackend_ca = \"{f.Key}\"", _ => "", "routes[0] (web.example.test).backend_ca: "),
        ["backend_ca a FIFO"] = (f => $"tls_cert = \"{f.Cert}\"\ntls_key = \"{f.Key}\"\nbackend_tls = true\nbackend_ca = \"{f.Fifo}\"", _ => "", "routes[0] (web.example.test).backend_ca: "),
        ["[grpc] key of another certificate"] = (f => $"tls_cert = \"{f.Cert}\"\ntls_key = \"{f.Key}\"", f => $"[grpc]\naddr = \"127.0.0.1:0\"\ntls_cert = \"{f.Cert}\"\ntls_key = \"{f.OtherKey}\"", "grpc.tls_key: "),
        ["[grpc] client_ca without a certificate"] = (f => $"tls_cert = \"{f.Cert}\"\ntls_key = \"{f.Key}\"", f => $"[grpc]\naddr = \"127.0.0.1:0\"\ntls_cert = \"{f.Cert}\"\ntls_key = \"{f.Key}\"\nclient_ca = \"{f.Key}\"", "grpc.client_ca: "),
        ["geoip_db not a database"] = (f => $"tls_cert = \"{f.Cert}\"\ntls_key = \"{f.Key}\"", f => $"[firewall]\ngeoip_db = \"{f.Garbage}\"", "firewall.geoip_db: "),
        ["geoip_db a FIFO"] = (f => $"tls_cert = \"{f.Cert}\"\ntls_key = \"{f.Key}\"", f => $"[firewall]\ngeoip_db = \"{f.Fifo}\"", "firewall.geoip_db: "),
    };

    [Theory]
    [MemberData(nameof(StartCases))]
    public async Task Server_BadFile_ExitsTwoNamingTheKeyAndMakesNoDatabase(string name)
    {
        var (route, sections, key) = StartConfigs[name];
        var files = WriteFiles();
        var config = Path.Combine(_directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(config, $"""
            [database]
            path = "mc-proxy.db"
            [[listeners]]
            addr = "127.0.0.1:0"
              [[listeners.routes]]
              hostname = "web.example.test"
              backend = "127.0.0.1:1"
              mode = "l7"
            {route(files)}
            {sections(files)}
            """);

        var result = await ServerProcess.RunToExitAsync(_directory, "server", "-c", config);

        Assert.True(result.ExitCode == ExitCodes.BadConfig, result.ToString());
        Assert.Contains(key, result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "mc-proxy.db")), result.ToString());
    }

    [Fact]
    public async Task AddRoute_CertificateIsAFifo_IsRefusedWhileAnotherMutationGoesThrough()
    {
        await using var env = await AdminEnvironment.StartAsync();
        var fifo = Fifos.Create(env.Directory, "cert.fifo");
        var route = new Route { Hostname = "fifo.example.test", Backend = "127.0.0.1:1", Mode = "l7", TlsCert = fifo, TlsKey = env.L7Key };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Both at once: before the fix the FIFO's open blocked under the mutation lock and every other mutation with it.
        var fifoCall = env.Client.AddRouteAsync(AdminEnvironment.Listener, route);
        var otherCall = env.Client.AddFirewallRuleAsync("ip", "192.0.2.7");
        var error = await Assert.ThrowsAsync<RpcException>(() => fifoCall.WaitAsync(deadline.Token));
        await otherCall.WaitAsync(deadline.Token);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("route.tls_cert:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("a FIFO", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(env.Store.FirewallRules.List(), r => r.Value == "192.0.2.7");
        Assert.DoesNotContain(env.Store.Routes.List(), r => r.Hostname == "fifo.example.test");
        Assert.DoesNotContain(env.Proxy.Server.Routing.FindListener(AdminEnvironment.Listener)!.Snapshot.Routes.Routes, r => r.Hostname == "fifo.example.test");
    }

    [Fact]
    public async Task AddRoute_GoodFiles_AreAccepted()
    {
        await using var env = await AdminEnvironment.StartAsync();
        var ca = AdminCertificates.WriteCa(env.Certs, env.Directory, "backend");

        await env.Client.AddRouteAsync(AdminEnvironment.Listener, new Route { Hostname = "good.example.test", Backend = "127.0.0.1:1", Mode = "l7", TlsCert = env.L7Cert, TlsKey = env.L7Key, BackendTls = true, BackendCa = ca });

        Assert.Contains(env.Store.Routes.List(), r => r.Hostname == "good.example.test" && r.Route.BackendCa == ca);
    }

    [Fact]
    public async Task Snapshot_CertificateBrokenSinceTheStart_StillWritesWhileServerWouldRefuse()
    {
        await using var env = await AdminEnvironment.StartAsync();
        var config = Path.Combine(env.Directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(config, "[database]\npath = \"mc-proxy.db\"\n" + env.Toml);
        // A renewal caught between its writes: snapshot and status use none of the files, so they must not refuse.
        await File.WriteAllTextAsync(env.L7Key, "half a key");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var snapshot = await McProxyCli.RunAsync(["snapshot", "-c", config], stdout, stderr, CancellationToken.None);
        var server = await McProxyCli.RunAsync(["server", "-c", config], stdout, stderr, CancellationToken.None);

        Assert.True(snapshot == ExitCodes.Success, stderr.ToString());
        Assert.True(File.Exists(stdout.ToString().Split('\n')[0].Trim()), stdout.ToString());
        Assert.Equal(ExitCodes.BadConfig, server);
        Assert.Contains($"routes[1] ({AdminEnvironment.L7Host}).tls_key: ", stderr.ToString(), StringComparison.Ordinal);
    }

    private Files WriteFiles()
    {
        using var web = _certs.IssueServer("web.example.test");
        using var other = _certs.IssueServer("other.example.test");
        var (cert, key) = PemFiles.Write(web, _directory, "web");
        var (_, otherKey) = PemFiles.Write(other, _directory, "other");
        var garbage = Path.Combine(_directory, "garbage");
        File.WriteAllText(garbage, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        var huge = Path.Combine(_directory, "huge.pem");
        File.WriteAllText(huge, string.Concat(Enumerable.Repeat(web.ExportCertificatePem() + "\n", (2 << 20) / 600)));
        var dir = Directory.CreateDirectory(Path.Combine(_directory, "a-directory")).FullName;
        return new Files(cert, key, otherKey, garbage, huge, Fifos.Create(_directory, "fifo"), dir);
    }

    private sealed record Files(string Cert, string Key, string OtherKey, string Garbage, string Huge, string Fifo, string Directory);
}
