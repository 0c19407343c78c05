using System.Text;
using Grpc.Core;
using McProxy.Admin;
using McProxy.Client.V1;
using McProxy.Config;
using McProxy.Model;
using McProxy.Net;
using McProxy.Tests.TestInfrastructure;
using FirewallRule = McProxy.Client.V1.FirewallRule;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Tests.Model;

/// <summary>
/// The rule set, one case per rule, each judged twice: by the config reader (the value in its TOML key, every error
/// listed with its place) and by the admin API's side of the same rules (RouteValidator, FirewallRuleValidator,
/// PolicyRules). Both must accept or refuse alike, name the same field, and quote at most 100 characters of the value.
/// </summary>
[UnitTest]
public sealed class RuleSetTests
{
    private const string OkBackend = "127.0.0.1:9000";
    private static readonly string Megabyte = new('a', 1 << 20);

    /// <summary>What a value is (where it goes), the value, and whether the rules accept it.</summary>
    private static readonly Dictionary<string, (string Kind, string Value, bool Valid)> Cases = new()
    {
        ["hostname: plain"] = ("hostname", "a.example.net", true),
        ["hostname: leading wildcard"] = ("hostname", "*.example.net", true),
        ["hostname: trailing dot"] = ("hostname", "example.net.", true),
        ["hostname: punycode and digits"] = ("hostname", "xn--bcher-kva.1-2.example", true),
        ["hostname: 63-character label"] = ("hostname", new string('a', 63) + ".example", true),
        ["hostname: 253 characters"] = ("hostname", string.Join('.', Enumerable.Repeat(new string('a', 49), 5)) + ".abc", true),
        ["hostname: a dash"] = ("hostname", "-", false),
        ["hostname: label starts with a hyphen"] = ("hostname", "-a.example.net", false),
        ["hostname: label ends with a hyphen"] = ("hostname", "a-.example.net", false),
        ["hostname: underscore"] = ("hostname", "a_b.example.net", false),
        ["hostname: empty label"] = ("hostname", "a..example.net", false),
        ["hostname: 64-character label"] = ("hostname", new string('a', 64) + ".example", false),
        ["hostname: 254 characters"] = ("hostname", string.Join('.', Enumerable.Repeat(new string('a', 49), 5)) + ".abcd", false),
        ["hostname: inner wildcard"] = ("hostname", "a.*.example.net", false),
        ["hostname: two wildcards"] = ("hostname", "*.*.example.net", false),
        ["hostname: bare wildcard"] = ("hostname", "*.", false),
        ["hostname: a space"] = ("hostname", "bad host", false),
        ["hostname: control character"] = ("hostname", "a\u0001.example.net", false),
        ["hostname: 1 MB"] = ("hostname", Megabyte, false),
        ["backend: IPv4"] = ("backend", OkBackend, true),
        ["backend: DNS name"] = ("backend", "backend.internal:8080", true),
        ["backend: IPv6"] = ("backend", "[::1]:443", true),
        ["backend: no port"] = ("backend", "127.0.0.1", false),
        ["backend: port 0"] = ("backend", "127.0.0.1:0", false),
        ["backend: port 70000"] = ("backend", "127.0.0.1:70000", false),
        ["backend: 1 MB"] = ("backend", Megabyte + ":80", false),
        ["require_header: a field name"] = ("require_header", "X-Api-Key", true),
        ["require_header: every token character"] = ("require_header", "!#$%&'*+-.^_`|~09AZaz", true),
        ["require_header: 256 characters"] = ("require_header", new string('x', 256), true),
        ["require_header: name and value"] = ("require_header", "X-Api-Key: secret", false),
        ["require_header: CR LF"] = ("require_header", "X-A\r\nX-B", false),
        ["require_header: NUL"] = ("require_header", "X-A\0", false),
        ["require_header: a space"] = ("require_header", "X Api", false),
        ["require_header: 257 characters"] = ("require_header", new string('x', 257), false),
        ["require_header: 1 MB"] = ("require_header", Megabyte, false),
        ["block_user_agent: a word"] = ("block_user_agent", "GPTBot", true),
        ["block_user_agent: a whole user agent"] = ("block_user_agent", "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)", true),
        ["block_user_agent: 1024 characters"] = ("block_user_agent", new string('x', 1024), true),
        ["block_user_agent: control character"] = ("block_user_agent", "Bot\u0007", false),
        ["block_user_agent: line feed"] = ("block_user_agent", "Bot\nX-Injected: 1", false),
        ["block_user_agent: non-ASCII"] = ("block_user_agent", "Bötchen", false),
        ["block_user_agent: blank"] = ("block_user_agent", "   ", false),
        ["block_user_agent: 1025 characters"] = ("block_user_agent", new string('x', 1025), false),
        ["ip: IPv4"] = ("ip", "192.0.2.1", true),
        ["ip: IPv6"] = ("ip", "2001:db8::1", true),
        ["ip: three parts"] = ("ip", "1.2.3", false),
        ["ip: 1 MB"] = ("ip", Megabyte, false),
        ["cidr: IPv4"] = ("cidr", "10.0.0.0/8", true),
        ["cidr: host bits set"] = ("cidr", "10.0.0.1/8", false),
        ["cidr: no prefix"] = ("cidr", "10.0.0.0", false),
        ["country: code"] = ("country", "CN", true),
        ["country: three letters"] = ("country", "CHN", false),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Rule_ConfigReaderAndAdminApi_JudgeAlike(string name)
    {
        var (kind, value, valid) = Cases[name];

        var configErrors = ConfigErrors(kind, value);
        var adminError = AdminError(kind, value);

        if (valid)
        {
            Assert.Empty(configErrors);
            Assert.Null(adminError);
            return;
        }

        var (configKey, adminField) = Fields(kind);
        var configError = Assert.Single(configErrors, e => e.Contains(configKey + ":", StringComparison.Ordinal));
        Assert.NotNull(adminError);
        Assert.StartsWith(adminField + ":", adminError, StringComparison.Ordinal);
        foreach (var message in new[] { configError, adminError })
        {
            // The value is quoted, not echoed: at most 100 characters of it, control characters escaped.
            Assert.True(message.Length < 600, $"{message.Length} characters: {message[..Math.Min(600, message.Length)]}");
            Assert.DoesNotContain('\r', message);
            Assert.DoesNotContain('\n', message);
            Assert.DoesNotContain('\0', message);
            if (value.Length > RuleText.MaxQuoted)
            {
                Assert.Contains($"({value.Length} characters)", message, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("connect_timeout", "5m", true)]
    [InlineData("connect_timeout", "5m1s", false)]
    [InlineData("connect_timeout", "600h", false)]
    [InlineData("connect_timeout", "500us", false)]
    [InlineData("hello_timeout", "5m", true)]
    [InlineData("hello_timeout", "6m", false)]
    [InlineData("idle_timeout", "24h", true)]
    [InlineData("idle_timeout", "25h", false)]
    [InlineData("shutdown_timeout", "1h", true)]
    [InlineData("shutdown_timeout", "2h", false)]
    public void Timeout_OutsideItsBounds_IsAnErrorNamingTheKey(string key, string value, bool valid)
    {
        var errors = ConfigErrors(ConfigTexts.OneListener + $"\n[proxy]\n{key} = \"{value}\"\n");

        if (valid)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(errors, e => e.StartsWith($"proxy.{key}: ", StringComparison.Ordinal) && e.Contains("out of bounds", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("1h", true)]
    [InlineData("2h", false)]
    public void RateWindow_OutsideItsBounds_IsAnError(string value, bool valid)
    {
        var errors = ConfigErrors(ConfigTexts.OneListener + $"\n[firewall]\nrate_limit = 5\nrate_window = \"{value}\"\n");

        Assert.Equal(valid, !errors.Any(e => e.StartsWith("firewall.rate_window: ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("127.0.0.1:8443", true)]
    [InlineData("[::1]:8443", true)]
    [InlineData(":443", true)]
    [InlineData("example.net:443", false)]
    [InlineData("127.0.0.1", false)]
    public void ListenerAddr_IsAnIpAndPort(string addr, bool valid)
    {
        var errors = ConfigErrors(ConfigTexts.OneListener.Replace("127.0.0.1:8443", addr, StringComparison.Ordinal));

        Assert.Equal(valid, !errors.Any(e => e.Contains(").addr: ", StringComparison.Ordinal)));
    }

    [Fact]
    public void ListenerAddr_OfAMegabyte_IsQuotedShort()
    {
        var errors = ConfigErrors(ConfigTexts.OneListener.Replace("127.0.0.1:8443", Megabyte, StringComparison.Ordinal));

        // The listener's own path names it too: clipped there as well.
        Assert.All(errors, e => Assert.True(e.Length < 600, e[..Math.Min(600, e.Length)]));
        Assert.Contains(errors, e => e.Contains(".addr: ", StringComparison.Ordinal) && e.Contains($"({Megabyte.Length} characters)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("[proxy]\nidle_timeout = \"{0}\"")]
    [InlineData("[log]\nlevel = \"{0}\"")]
    [InlineData("[metrics]\naddr = \"{0}\"")]
    [InlineData("[grpc]\naddr = \"{0}:1\"")]
    [InlineData("[firewall]\ngeoip_db = \"/{0}\"")]
    [InlineData("[database]\npath = \"x.db\"\n[[listeners]]\naddr = \"127.0.0.1:1\"\n[[listeners.routes]]\nhostname = \"a.example.net\"\nbackend = \"127.0.0.1:2\"\nmode = \"l7\"\ntls_cert = \"/{0}\"\ntls_key = \"{0}\"")]
    public void AnyValue_OfAMegabyte_IsQuotedShortInEveryError(string section)
    {
        var toml = string.Format(System.Globalization.CultureInfo.InvariantCulture, section, Megabyte);
        var errors = ConfigErrors(toml.StartsWith("[database]", StringComparison.Ordinal) ? toml : ConfigTexts.OneListener + "\n" + toml);

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.True(e.Length < 600, e[..Math.Min(600, e.Length)]));
    }

    [Fact]
    public void TrustedProxies_MustBeAddressesOrCidrs_AndAreRequiredWithProxyProtocol()
    {
        var bad = ConfigErrors(ConfigTexts.OneListener.Replace("addr = \"127.0.0.1:8443\"", "addr = \"127.0.0.1:8443\"\nproxy_protocol = true\ntrusted_proxies = [\"10.0.0.0/8\", \"proxy.example.net\"]", StringComparison.Ordinal));
        var missing = ConfigErrors(ConfigTexts.OneListener.Replace("addr = \"127.0.0.1:8443\"", "addr = \"127.0.0.1:8443\"\nproxy_protocol = true", StringComparison.Ordinal));

        Assert.Equal("listeners[0] (127.0.0.1:8443).trusted_proxies[1]: \"proxy.example.net\" is not an IP address or CIDR", Assert.Single(bad));
        Assert.Contains(missing, e => e.StartsWith("listeners[0] (127.0.0.1:8443).trusted_proxies: is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Quote_CutsAtAHundredCharacters_AndEscapesControls()
    {
        Assert.Equal("\"a\\r\\n\\u0000\\\"\"", RuleText.Quote("a\r\n\0\""));
        var quoted = RuleText.Quote(new string('x', 150));
        Assert.Equal($"\"{new string('x', 100)}…\" (150 characters)", quoted);
    }

    private static (string ConfigKey, string AdminField) Fields(string kind) => kind switch
    {
        "hostname" => (".hostname", "route.hostname"),
        "backend" => (".backend", "route.backend"),
        "require_header" or "block_user_agent" => (".value", "value"),
        "ip" => ("firewall.blocked_ips[0]", "rule.value"),
        "cidr" => ("firewall.blocked_cidrs[0]", "rule.value"),
        _ => ("firewall.blocked_countries[0]", "rule.value"),
    };

    private static IReadOnlyList<string> ConfigErrors(string kind, string value) => ConfigErrors(kind switch
    {
        "hostname" => Route(Toml(value), Toml(OkBackend)),
        "backend" => Route(Toml("a.example.net"), Toml(value)),
        // On an l4 route the policies are dropped with a warning, but checked first, as everywhere.
        "require_header" or "block_user_agent" => Route(Toml("a.example.net"), Toml(OkBackend)) + $"\n    [[listeners.routes.l7_policies]]\n    type = \"{kind}\"\n    value = {Toml(value)}\n",
        "ip" => Route(Toml("a.example.net"), Toml(OkBackend)) + $"\n[firewall]\nblocked_ips = [{Toml(value)}]\n",
        "cidr" => Route(Toml("a.example.net"), Toml(OkBackend)) + $"\n[firewall]\nblocked_cidrs = [{Toml(value)}]\n",
        // Checked before the missing geoip_db, which is an error of its own.
        _ => Route(Toml("a.example.net"), Toml(OkBackend)) + $"\n[firewall]\nblocked_countries = [{Toml(value)}]\n",
    }).Where(e => !e.StartsWith("firewall.geoip_db:", StringComparison.Ordinal)).ToList();

    private static IReadOnlyList<string> ConfigErrors(string toml)
    {
        try
        {
            ConfigLoader.Parse(toml, "test.toml", "/etc/mc");
            return [];
        }
        catch (ConfigException e)
        {
            return e.Errors;
        }
    }

    private static string Route(string hostname, string backend) => $"""
        [database]
        path = "mc-proxy.db"
        [[listeners]]
        addr = "127.0.0.1:8443"
          [[listeners.routes]]
          hostname = {hostname}
          backend = {backend}
        """;

    /// <summary>The admin side's answer: the InvalidArgument status's message, or null when accepted.</summary>
    private static string? AdminError(string kind, string value)
    {
        try
        {
            switch (kind)
            {
                case "hostname":
                    RouteValidator.Validate(new Route { Hostname = value, Backend = OkBackend });
                    return null;
                case "backend":
                    RouteValidator.Validate(new Route { Hostname = "a.example.net", Backend = value });
                    return null;
                case "require_header" or "block_user_agent":
                    return PolicyRules.Check(kind, value) is [var first, ..] ? first.ToString() : null;
                default:
                    FirewallRuleValidator.Validate(new FirewallRule { Type = kind, Value = value }, hasGeoIp: true);
                    return null;
            }
        }
        catch (RpcException e)
        {
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            return e.Status.Detail;
        }
    }

    /// <summary>A TOML basic string holding exactly <paramref name="value"/>.</summary>
    private static string Toml(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }
}
