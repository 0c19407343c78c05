using McProxy.Config;
using McProxy.Model;
using McProxy.Net;

namespace McProxy.Tests.Config;

[UnitTest]
public sealed class ConfigLoaderTests
{
    private const string Minimal = """
        [database]
        path = "state/mc-proxy.db"
        [[listeners]]
        addr = "127.0.0.1:8443"
          [[listeners.routes]]
          hostname = "a.example.net"
          backend = "127.0.0.1:9000"
        """;

    private static ProxyConfig Parse(string text) => ConfigLoader.Parse(text, "test.toml", "/etc/mc");

    private static IReadOnlyList<string> Errors(string text) => Assert.Throws<ConfigException>(() => Parse(text)).Errors;

    [Fact]
    public void Minimal_HasDefaults_AndResolvesRelativePathsAgainstTheConfigDirectory()
    {
        var config = Parse(Minimal);

        Assert.Equal("/etc/mc/state/mc-proxy.db", config.Database.Path);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Proxy.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(300), config.Proxy.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Proxy.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), config.Proxy.HelloTimeout);
        Assert.Null(config.Grpc);
        Assert.Null(config.Metrics);
        Assert.Equal(0, config.Firewall.RateLimit);
        var route = Assert.Single(Assert.Single(config.Listeners).Routes);
        Assert.Equal(RouteMode.L4, route.Route.Mode);
    }

    [Fact]
    public void Hostnames_AreLowerCased_AndDefaultRouteMustNameARoute()
    {
        var config = Parse(Minimal.Replace("a.example.net", "A.Example.NET", StringComparison.Ordinal) + "\n[[listeners]]\naddr = \"127.0.0.1:8444\"\ndefault_route = \"B.example.net\"\n  [[listeners.routes]]\n  hostname = \"b.example.net\"\n  backend = \"127.0.0.1:9001\"\n");

        Assert.Equal("a.example.net", config.Listeners[0].Routes[0].Hostname);
        Assert.Equal("b.example.net", config.Listeners[1].DefaultRoute);

        var errors = Errors(Minimal.Replace("addr = \"127.0.0.1:8443\"", "addr = \"127.0.0.1:8443\"\ndefault_route = \"nope.example.net\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("default_route", StringComparison.Ordinal) && e.Contains("nope.example.net", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryError_IsReportedAtOnce_EachNamingItsKeyAndPlace()
    {
        var errors = Errors("""
            [database]
            path = "x.db"
            colour = "blue"
            [[listeners]]
            addr = "not an address"
            proxy_protocol = true
              [[listeners.routes]]
              hostname = "bad host"
              backend = "127.0.0.1"
              mode = "l9"
              [[listeners.routes]]
              hostname = "ok.example.net"
              backend = "127.0.0.1:1"
              backend_tls = true
            [proxy]
            idle_timeout = "forever"
            [log]
            level = "loud"
            """);

        Assert.Contains(errors, e => e.Contains("database.colour", StringComparison.Ordinal) && e.Contains("unknown key", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(errors, e => e.Contains("listeners[0]", StringComparison.Ordinal) && e.Contains(".addr", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("trusted_proxies", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("routes[0]", StringComparison.Ordinal) && e.Contains("hostname", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("routes[0]", StringComparison.Ordinal) && e.Contains("backend", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("routes[0]", StringComparison.Ordinal) && e.Contains("mode", StringComparison.Ordinal) && e.Contains("l9", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ok.example.net", StringComparison.Ordinal) && e.Contains("backend_tls", StringComparison.Ordinal) && e.Contains("l7 routes only", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("idle_timeout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("level", StringComparison.Ordinal) && e.Contains("loud", StringComparison.Ordinal));
        Assert.True(errors.Count >= 9, string.Join("\n", errors));
    }

    [Fact]
    public void L7Route_NeedsItsCertificate_AndRejectsL4Options()
    {
        var errors = Errors(Minimal + "\n  mode = \"l7\"\n  send_proxy_protocol = true\n  backend_h2c = true\n  backend_tls = true\n");

        Assert.Contains(errors, e => e.Contains("tls_cert", StringComparison.Ordinal) && e.Contains("required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("tls_key", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("send_proxy_protocol", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("backend_h2c", StringComparison.Ordinal) && e.Contains("backend_tls", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingFiles_AreErrors_NamingTheResolvedPath()
    {
        var errors = Errors(Minimal + "\n  mode = \"l7\"\n  tls_cert = \"certs/a.pem\"\n  tls_key = \"/nonexistent/a.key\"\n");

        Assert.Contains(errors, e => e.Contains("tls_cert", StringComparison.Ordinal) && e.Contains("/etc/mc/certs/a.pem", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("tls_key", StringComparison.Ordinal) && e.Contains("/nonexistent/a.key", StringComparison.Ordinal));
    }

    [Fact]
    public void PoliciesOnAnL4Route_AreAWarning_AndDropped()
    {
        var config = Parse(Minimal + "\n    [[listeners.routes.l7_policies]]\n    type = \"block_user_agent\"\n    value = \"GPTBot\"\n");

        Assert.Empty(config.Listeners[0].Routes[0].L7Policies);
        Assert.Contains(config.Warnings, w => w.Contains("l7_policies", StringComparison.Ordinal));
    }

    [Fact]
    public void PolicyType_IsValidated()
    {
        var errors = Errors(Minimal + "\n    [[listeners.routes.l7_policies]]\n    type = \"block_everything\"\n    value = \"x\"\n");

        Assert.Contains(errors, e => e.Contains("l7_policies[0]", StringComparison.Ordinal) && e.Contains("block_everything", StringComparison.Ordinal));
    }

    [Fact]
    public void Firewall_IsValidated_AndNormalised()
    {
        var config = Parse(Minimal + "\n[firewall]\nblocked_ips = [\"::ffff:192.0.2.1\", \"2001:db8::1\"]\nblocked_cidrs = [\"10.0.0.0/8\", \"2001:db8::/32\"]\nrate_limit = 5\nrate_window = \"1m\"\n");
        Assert.Equal(["192.0.2.1", "2001:db8::1"], config.Firewall.BlockedIps);
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], config.Firewall.BlockedCidrs);
        Assert.Equal(TimeSpan.FromMinutes(1), config.Firewall.RateWindow);

        var errors = Errors(Minimal + "\n[firewall]\nblocked_ips = [\"1.2.3\"]\nblocked_cidrs = [\"10.0.0.1/8\", \"10.0.0.0\"]\nblocked_countries = [\"France\"]\nrate_limit = -1\n");
        Assert.Contains(errors, e => e.Contains("blocked_ips[0]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("blocked_cidrs[0]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("blocked_cidrs[1]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("blocked_countries[0]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("geoip_db", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("rate_limit", StringComparison.Ordinal));
    }

    [Fact]
    public void Grpc_OverTcp_RequiresTls()
    {
        var errors = Errors(Minimal + "\n[grpc]\naddr = \"127.0.0.1:9090\"\n");

        Assert.Contains(errors, e => e.Contains("grpc.tls_cert", StringComparison.Ordinal));
        Assert.Equal("unix:/etc/mc/run/admin.sock", Parse(Minimal + "\n[grpc]\naddr = \"unix:run/admin.sock\"\n").Grpc?.Addr);
    }

    [Fact]
    public void DuplicateHostnamesAndAddresses_AreErrors()
    {
        var errors = Errors(Minimal + "\n  [[listeners.routes]]\n  hostname = \"A.example.net\"\n  backend = \"127.0.0.1:9001\"\n[[listeners]]\naddr = \"127.0.0.1:8443\"\n");

        Assert.Contains(errors, e => e.Contains("appears twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("used by another listener", StringComparison.Ordinal));
    }

    [Fact]
    public void TomlSyntaxErrors_AndMissingSections_AreReported()
    {
        Assert.Contains(Errors("[database\npath = 1"), e => e.StartsWith("TOML syntax", StringComparison.Ordinal));
        var errors = Errors("");
        Assert.Contains(errors, e => e.Contains("[database]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("listeners", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("0", 0)]
    [InlineData("250us", 0.25)]
    public void Duration_ParsesGoStyle(string text, double milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("10 s")]
    [InlineData("10d")]
    [InlineData("-5s")]
    [InlineData("1..5s")]
    public void Duration_RejectsNonsense(string text) => Assert.False(Duration.TryParse(text, out _));
}
