using McProxy.Config;
using McProxy.Model;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Config;

/// <summary>mc-proxy.toml.example stays valid, documents every key, and its optional lines are valid too.</summary>
[UnitTest]
public sealed class ExampleConfigTests : IDisposable
{
    /// <summary>Every key of SPEC §3, by section.</summary>
    private static readonly string[] SpecKeys =
    [
        "path", "addr", "proxy_protocol", "trusted_proxies", "default_route", "max_connections",
        "hostname", "backend", "mode", "tls_cert", "tls_key", "backend_tls", "backend_ca", "backend_h2c",
        "send_proxy_protocol", "type", "value", "client_ca", "geoip_db", "blocked_ips", "blocked_cidrs",
        "blocked_countries", "rate_limit", "rate_window", "connect_timeout", "idle_timeout", "shutdown_timeout",
        "hello_timeout", "min_version", "session_tickets", "level", "format",
        "backends", "balance", "health_check", "health_interval", "health_timeout", "health_rise", "health_fall",
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("mc-proxy-example-").FullName;

    private static string ExampleText => File.ReadAllText(Path.Combine(RepoRoot(), "mc-proxy.toml.example"));

    [Fact]
    public void Example_AsShipped_IsValid()
    {
        var config = ConfigLoader.Parse(ExampleText, "mc-proxy.toml.example", _dir);

        Assert.Equal("/srv/mc-proxy/mc-proxy.db", config.Database.Path);
        var listener = Assert.Single(config.Listeners);
        Assert.Equal(":443", listener.Addr);
        var route = Assert.Single(listener.Routes);
        Assert.Equal(RouteMode.L4, route.Route.Mode);
        Assert.Equal("unix:/srv/mc-proxy/mc-proxy.sock", config.Grpc?.Addr);
        Assert.Equal(20, config.Firewall.RateLimit);
        Assert.Equal(TimeSpan.FromSeconds(10), config.Proxy.HelloTimeout);
        Assert.Equal(new ProxySettings() with { MaxConnections = config.Proxy.MaxConnections }, config.Proxy);
        Assert.Equal(HealthCheckSetting.None, route.Route.HealthCheck);
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void Example_WithEveryOptionalLineEnabled_IsValid()
    {
        // Enable the "#~" lines and point /srv/mc-proxy at a temporary directory holding the files they name.
        var text = string.Join('\n', ExampleText.Split('\n').Select(line => line.StartsWith("#~ ", StringComparison.Ordinal) ? line[3..] : line))
            .Replace("/srv/mc-proxy/", _dir + "/", StringComparison.Ordinal);
        // Files that load and check, as the config reader now requires: certificates with their keys, CA bundles, a MaxMind DB.
        var certs = Path.Combine(_dir, "certs");
        Directory.CreateDirectory(certs);
        using var ca = new TestCertificates();
        using var metacrypt = ca.IssueServer("metacrypt.example.net");
        using var admin = ca.IssueServer("admin.example.net");
        PemFiles.Write(metacrypt, certs, "metacrypt");
        PemFiles.Write(admin, certs, "admin");
        File.WriteAllText(Path.Combine(certs, "backend-ca.pem"), ca.Ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(certs, "admin-ca.pem"), ca.Ca.ExportCertificatePem());
        File.WriteAllBytes(Path.Combine(_dir, "GeoLite2-Country.mmdb"), new MaxMindDbWriter().Add("192.0.2.0/24", "CN").Build());

        var config = ConfigLoader.Parse(text, "mc-proxy.toml.example", _dir);

        var listener = Assert.Single(config.Listeners);
        Assert.Equal("git.example.net", listener.DefaultRoute);
        var l7 = Assert.Single(listener.Routes, r => r.Route.Mode == RouteMode.L7);
        Assert.Equal("metacrypt.example.net", l7.Hostname);
        Assert.True(l7.Route.BackendTls);
        Assert.Equal(["127.0.0.1:18080", "127.0.0.1:18081"], l7.Route.Backends);
        Assert.Equal(BalanceAlgorithm.LeastConnections, l7.Route.Balance);
        Assert.Equal(new HealthCheckSetting(HealthCheckMode.Http, "/healthz"), l7.Route.HealthCheck);
        Assert.Equal(Path.Combine(_dir, "certs/backend-ca.pem"), l7.Route.BackendCa);
        Assert.Equal(["block_user_agent", "require_header"], l7.L7Policies.Select(p => p.Type));
        Assert.Equal(Path.Combine(_dir, "certs/admin-ca.pem"), config.Grpc?.ClientCa);
        Assert.Equal(Path.Combine(_dir, "GeoLite2-Country.mmdb"), config.Firewall.GeoIpDb);
    }

    [Fact]
    public void Example_DocumentsEveryKey()
    {
        var text = ExampleText;
        var missing = SpecKeys.Where(key => !text.Contains($"{key} = ", StringComparison.Ordinal)).ToList();
        Assert.Empty(missing);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "McProxy.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (McProxy.slnx) not found above " + AppContext.BaseDirectory);
    }
}
