using McProxy.Config;
using McProxy.Model;
using McProxy.Routing.Pools;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Model;

/// <summary>
/// The rules of a backend pool (issue 16), one case per rule: judged by <see cref="RouteRules.Check"/>, which the admin
/// API applies too, and by the config reader, which reads <c>backend</c>/<c>backends</c>, <c>balance</c>,
/// <c>health_check</c> and <c>[proxy] health_*</c> and lists every error with its route and key.
/// </summary>
[UnitTest]
public sealed class PoolRuleTests
{
    private const string Hostname = "a.example.net";
    private const string Route = "listeners[0] (127.0.0.1:8443).routes[0] (a.example.net)";
    private static readonly string Megabyte = new('a', 1 << 20);

    [Fact]
    public void SingleBackend_ValidatesAndResolvesExactlyAsBefore()
    {
        var draft = new RouteDraft { Hostname = Hostname, Backend = "127.0.0.1:9000" };

        Assert.Empty(RouteRules.Check(draft));
        var route = RouteSettings.FromDraft(draft);
        Assert.Equal(["127.0.0.1:9000"], route.Backends);
        Assert.Equal("127.0.0.1:9000", route.Backend);
        Assert.Equal(BalanceAlgorithm.LeastConnections, route.Balance);
        Assert.Equal(HealthCheckSetting.None, route.HealthCheck);
        // A wrong single backend is still reported under "backend", by the backend rule.
        Assert.Equal(new RuleError("backend", "port must not be 0"), Assert.Single(RouteRules.Check(draft with { Backend = "127.0.0.1:0" })));
    }

    [Fact]
    public void Backends_Several_PassAndDefaultToATcpCheck()
    {
        var draft = new RouteDraft { Hostname = Hostname, Backends = ["10.0.0.1:80", "backend.internal:80", "[::1]:80"] };

        Assert.Empty(RouteRules.Check(draft));
        var route = RouteSettings.FromDraft(draft);
        Assert.Equal(["10.0.0.1:80", "backend.internal:80", "[::1]:80"], route.Backends);
        Assert.Equal(HealthCheckSetting.Tcp, route.HealthCheck);
    }

    [Fact]
    public void Backends_UpToTheMaximum_Pass_OneMore_IsOneErrorNamingTheLimit()
    {
        var full = Enumerable.Range(1, RouteRules.MaxBackends).Select(i => $"10.0.0.{i}:80").ToArray();
        var tooMany = Enumerable.Range(1, 100_000).Select(i => $"b{i}.internal:80").ToArray();

        Assert.Empty(RouteRules.Check(new RouteDraft { Hostname = Hostname, Backends = full }));
        var error = Assert.Single(RouteRules.Check(new RouteDraft { Hostname = Hostname, Backends = tooMany }));
        Assert.Equal("backends", error.Field);
        Assert.Contains("at most 64", error.Message, StringComparison.Ordinal);
        Assert.Equal(64, BackendPool.MaxMembers);
    }

    [Fact]
    public void Backends_EachIsHeldToTheBackendRule_UnderItsIndex()
    {
        var errors = RouteRules.Check(new RouteDraft { Hostname = Hostname, Backends = ["127.0.0.1:9000", "127.0.0.1", "x:0"] });

        Assert.Equal(["backends[1]", "backends[2]"], errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData("a.example.net:80", "A.Example.NET:80", false)]
    [InlineData("[::1]:80", "[0:0::1]:80", false)]
    [InlineData("127.0.0.1:80", "127.0.0.1:80", false)]
    [InlineData("a.example.net:80", "a.example.net:81", true)]
    [InlineData("127.0.0.1:80", "127.0.0.2:80", true)]
    public void Backends_TheSameTwice_IsAnError(string first, string second, bool valid)
    {
        var errors = RouteRules.Check(new RouteDraft { Hostname = Hostname, Backends = [first, second] });

        if (valid)
        {
            Assert.Empty(errors);
        }
        else
        {
            var error = Assert.Single(errors);
            Assert.Equal("backends[1]", error.Field);
            Assert.Contains("appears twice", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Backends_AMegabyteEntry_IsQuotedShort()
    {
        var error = Assert.Single(RouteRules.Check(new RouteDraft { Hostname = Hostname, Backends = [Megabyte + ":80"] }));

        Assert.Equal("backends[0]", error.Field);
        Assert.True(error.Message.Length < 600, error.Message[..Math.Min(600, error.Message.Length)]);
    }

    [Fact]
    public void BackendAndBackends_Both_IsAnErrorNamingBoth()
    {
        var error = Assert.Single(RouteRules.Check(new RouteDraft { Hostname = Hostname, Backend = "127.0.0.1:1", Backends = ["127.0.0.1:2"] }));

        Assert.Equal("backends", error.Field);
        Assert.Contains("backend", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BackendAndBackends_Neither_IsAnErrorNamingBoth()
    {
        var error = Assert.Single(RouteRules.Check(new RouteDraft { Hostname = Hostname }));

        Assert.Equal("backend", error.Field);
        Assert.Contains("backends", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("least_connections", true)]
    [InlineData("round_robin", true)]
    [InlineData("first", true)]
    [InlineData("random", false)]
    [InlineData("Round_Robin", false)]
    [InlineData("first ", false)]
    public void Balance_IsOneOfThreeNames(string balance, bool valid)
    {
        var errors = RouteRules.Check(new RouteDraft { Hostname = Hostname, Backends = ["127.0.0.1:1", "127.0.0.1:2"], Balance = balance });

        Assert.Equal(valid, errors.Count == 0);
        Assert.All(errors, e => Assert.Equal("balance", e.Field));
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("tcp", true)]
    [InlineData("none", true)]
    [InlineData("http:/", true)]
    [InlineData("http:/healthz", true)]
    [InlineData("http:/status?full=1&x=%20", true)]
    [InlineData("http:healthz", false)]
    [InlineData("http:", false)]
    [InlineData("http:/a b", false)]
    [InlineData("http:/a\r\nX-Injected: 1", false)]
    [InlineData("http:/bücher", false)]
    [InlineData("HTTP:/healthz", false)]
    [InlineData("https:/healthz", false)]
    [InlineData("udp", false)]
    [InlineData("Tcp", false)]
    public void HealthCheck_IsTcpNoneOrAnAbsoluteHttpPath(string healthCheck, bool valid)
    {
        var errors = RouteRules.Check(L7Pool() with { HealthCheck = healthCheck });

        Assert.Equal(valid, errors.Count == 0);
        Assert.All(errors, e => Assert.Equal("health_check", e.Field));
        if (valid && healthCheck.StartsWith("http:", StringComparison.Ordinal))
        {
            Assert.Equal(new HealthCheckSetting(HealthCheckMode.Http, healthCheck[5..]), RouteSettings.FromDraft(L7Pool() with { HealthCheck = healthCheck }).HealthCheck);
        }
    }

    [Fact]
    public void HealthCheck_PathUpToItsLimit_Passes_OneLonger_IsQuotedShort()
    {
        var longest = "http:/" + new string('a', RouteRules.MaxHealthPathLength - 1);
        var tooLong = longest + "a";

        Assert.Empty(RouteRules.Check(L7Pool() with { HealthCheck = longest }));
        var error = Assert.Single(RouteRules.Check(L7Pool() with { HealthCheck = tooLong }));
        Assert.Equal("health_check", error.Field);
        Assert.Contains("at most 1024", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 600, error.Message);
    }

    [Fact]
    public void HealthCheck_Http_OnAnL4Route_IsAnError()
    {
        var l4 = new RouteDraft { Hostname = Hostname, Backends = ["127.0.0.1:1", "127.0.0.1:2"], HealthCheck = "http:/healthz" };

        var error = Assert.Single(RouteRules.Check(l4));
        Assert.Equal("health_check", error.Field);
        Assert.Contains("l7 routes only", error.Message, StringComparison.Ordinal);
        Assert.Empty(RouteRules.Check(l4 with { HealthCheck = "tcp" }));
    }

    [Fact]
    public void Config_APool_IsReadWithItsBalanceAndCheck()
    {
        var config = ConfigLoader.Parse(
            Toml("""
                backends = ["127.0.0.1:9001", "127.0.0.1:9002"]
                balance = "first"
                health_check = "none"
                """) + "\n[proxy]\nhealth_interval = \"250ms\"\nhealth_timeout = \"10s\"\nhealth_rise = 1\nhealth_fall = 100\n",
            "test.toml",
            "/etc/mc");

        var route = Assert.Single(Assert.Single(config.Listeners).Routes).Route;
        Assert.Equal(["127.0.0.1:9001", "127.0.0.1:9002"], route.Backends);
        Assert.Equal(BalanceAlgorithm.First, route.Balance);
        Assert.Equal(HealthCheckSetting.None, route.HealthCheck);
        // health_timeout above health_interval is allowed: a check still out is not started twice.
        Assert.Equal(TimeSpan.FromMilliseconds(250), config.Proxy.HealthInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), config.Proxy.HealthTimeout);
        Assert.Equal(1, config.Proxy.HealthRise);
        Assert.Equal(100, config.Proxy.HealthFall);

        Assert.Equal(new HealthPolicy(1, 100, TimeSpan.FromMilliseconds(250)), HealthSettings.Policy(config.Proxy));
        var options = HealthSettings.CheckerOptions(config.Proxy);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
    }

    [Fact]
    public void Config_WithoutHealthKeys_TakesTheSpecDefaults()
    {
        var config = ConfigLoader.Parse(ConfigTexts.OneListener, "test.toml", "/etc/mc");

        Assert.Equal(TimeSpan.FromSeconds(5), config.Proxy.HealthInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), config.Proxy.HealthTimeout);
        Assert.Equal(2, config.Proxy.HealthRise);
        Assert.Equal(3, config.Proxy.HealthFall);
    }

    [Theory]
    [InlineData("backend = \"127.0.0.1:1\"\nbackends = [\"127.0.0.1:2\"]", "backends: cannot be combined with backend")]
    [InlineData("mode = \"l4\"", "backend: is required: one backend = \"host:port\", or several in backends = [...]")]
    [InlineData("backend = \"\"", "backend: must not be empty")]
    [InlineData("backends = []", "backends: must name at least one backend")]
    [InlineData("backends = \"127.0.0.1:1\"", "backends: must be an array of strings")]
    [InlineData("backends = [\"127.0.0.1:1\", 8080]", "backends[1]: must be a string")]
    [InlineData("backends = [\"127.0.0.1:1\", \"127.0.0.1\"]", "backends[1]: \"127.0.0.1\" is not host:port")]
    [InlineData("backends = [\"127.0.0.1:1\", \"127.0.0.1:1\"]", "backends[1]: \"127.0.0.1:1\" appears twice in this pool")]
    [InlineData("backend = \"127.0.0.1:1\"\nbalance = \"random\"", "balance: \"random\" is not")]
    [InlineData("backend = \"127.0.0.1:1\"\nbalance = 1", "balance: must be a string")]
    [InlineData("backend = \"127.0.0.1:1\"\nhealth_check = \"http:/healthz\"", "health_check: \"http:/healthz\" applies to l7 routes only")]
    [InlineData("backend = \"127.0.0.1:1\"\nhealth_check = \"ping\"", "health_check: \"ping\" is not \"tcp\", \"none\"")]
    public void Config_AWrongPoolKey_IsOneErrorNamingTheRouteAndTheKey(string keys, string expected)
    {
        var errors = ConfigErrors(Toml(keys));

        var error = Assert.Single(errors);
        Assert.StartsWith($"{Route}.{expected}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("health_interval", "\"100ms\"", true)]
    [InlineData("health_interval", "\"1h\"", true)]
    [InlineData("health_interval", "\"99ms\"", false)]
    [InlineData("health_interval", "\"61m\"", false)]
    [InlineData("health_timeout", "\"100ms\"", true)]
    [InlineData("health_timeout", "\"1h\"", true)]
    [InlineData("health_timeout", "\"50ms\"", false)]
    [InlineData("health_timeout", "\"2h\"", false)]
    [InlineData("health_timeout", "\"soon\"", false)]
    [InlineData("health_rise", "1", true)]
    [InlineData("health_rise", "100", true)]
    [InlineData("health_rise", "0", false)]
    [InlineData("health_rise", "101", false)]
    [InlineData("health_fall", "1", true)]
    [InlineData("health_fall", "100", true)]
    [InlineData("health_fall", "0", false)]
    [InlineData("health_fall", "\"3\"", false)]
    public void Config_HealthTiming_OutsideItsBounds_IsAnErrorNamingTheKey(string key, string value, bool valid)
    {
        var errors = ConfigErrors(ConfigTexts.OneListener + $"\n[proxy]\n{key} = {value}\n");

        if (valid)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.StartsWith($"proxy.{key}: ", Assert.Single(errors), StringComparison.Ordinal);
        }
    }

    private static RouteDraft L7Pool() => new()
    {
        Hostname = Hostname,
        Backends = ["127.0.0.1:1", "127.0.0.1:2"],
        Mode = "l7",
        TlsCert = "/etc/mc/a.pem",
        TlsKey = "/etc/mc/a.key",
    };

    private static string Toml(string routeKeys) => $"""
        [database]
        path = "mc-proxy.db"
        [[listeners]]
        addr = "127.0.0.1:8443"
          [[listeners.routes]]
          hostname = "{Hostname}"
        {routeKeys}
        """;

    private static IReadOnlyList<string> ConfigErrors(string toml)
    {
        try
        {
            ConfigLoader.Parse(toml, "test.toml", "/etc/mc", loadFiles: false);
            return [];
        }
        catch (ConfigException e)
        {
            return e.Errors;
        }
    }
}
