using System.Text;
using Grpc.Core;
using McProxy.Client.V1;
using McProxy.Tests.TestInfrastructure;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Tests.Admin;

/// <summary>
/// Every rejected mutation answers with its status code and names the field, and leaves the database and the
/// live tables exactly as they were.
/// </summary>
public sealed class AdminValidationTests : IAsyncLifetime
{
    private const string L = AdminEnvironment.Listener;
    private static readonly string Megabyte = new('a', 1 << 20);
    private AdminEnvironment _env = null!;

    public async Task InitializeAsync()
    {
        _env = await AdminEnvironment.StartAsync();
        await _env.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "block_user_agent", "GPTBot");
        await _env.Client.AddFirewallRuleAsync("ip", "192.0.2.1");
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    public static TheoryData<string> Cases => new(Calls.Keys);

    private static readonly Dictionary<string, (StatusCode Code, string Field, Func<AdminEnvironment, Task> Call)> Calls = new()
    {
        ["route: no listener"] = (StatusCode.InvalidArgument, "listener_addr", e => AddRoute(e, "", new Route { Hostname = "x.example.test", Backend = "127.0.0.1:1" })),
        ["route: unknown listener"] = (StatusCode.NotFound, "listener_addr", e => AddRoute(e, ":9", new Route { Hostname = "x.example.test", Backend = "127.0.0.1:1" })),
        ["route: missing"] = (StatusCode.InvalidArgument, "route", e => e.Client.Admin.AddRouteAsync(new AddRouteRequest { ListenerAddr = L }).ResponseAsync),
        ["route: empty hostname"] = (StatusCode.InvalidArgument, "route.hostname", e => AddRoute(e, L, new Route { Backend = "127.0.0.1:1" })),
        ["route: hostname with a space"] = (StatusCode.InvalidArgument, "route.hostname", e => AddRoute(e, L, new Route { Hostname = "bad host", Backend = "127.0.0.1:1" })),
        ["route: inner wildcard"] = (StatusCode.InvalidArgument, "route.hostname", e => AddRoute(e, L, new Route { Hostname = "a.*.example.test", Backend = "127.0.0.1:1" })),
        ["route: backend without port"] = (StatusCode.InvalidArgument, "route.backend", e => AddRoute(e, L, new Route { Hostname = "x.example.test", Backend = "127.0.0.1" })),
        ["route: backend port 0"] = (StatusCode.InvalidArgument, "route.backend", e => AddRoute(e, L, new Route { Hostname = "x.example.test", Backend = "127.0.0.1:0" })),
        ["route: backend port too big"] = (StatusCode.InvalidArgument, "route.backend", e => AddRoute(e, L, new Route { Hostname = "x.example.test", Backend = "127.0.0.1:70000" })),
        ["route: unknown mode"] = (StatusCode.InvalidArgument, "route.mode", e => AddRoute(e, L, new Route { Hostname = "x.example.test", Backend = "127.0.0.1:1", Mode = "l5" })),
        ["route: l4 with a certificate"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, new Route { Hostname = "x.example.test", Backend = "127.0.0.1:1", TlsCert = e.L7Cert })),
        ["route: l7 without certificate"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = ""))),
        ["route: l7 relative certificate path"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = "web.pem"))),
        ["route: l7 certificate missing"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = e.L7Cert + ".missing"))),
        ["route: l7 certificate not PEM"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = Garbage(e)))),
        ["route: l7 key of another certificate"] = (StatusCode.InvalidArgument, "route.tls_key", e => AddRoute(e, L, L7(e, r => r.TlsKey = OtherKey(e)))),
        ["route: l7 key not PEM"] = (StatusCode.InvalidArgument, "route.tls_key", e => AddRoute(e, L, L7(e, r => r.TlsKey = Garbage(e)))),
        ["route: l7 certificate is a FIFO"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = Fifo(e)))),
        ["route: l7 key is a FIFO"] = (StatusCode.InvalidArgument, "route.tls_key", e => AddRoute(e, L, L7(e, r => r.TlsKey = Fifo(e)))),
        ["route: l7 certificate is a directory"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = e.Directory))),
        ["route: l7 certificate is a device"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = "/dev/zero"))),
        ["route: l7 certificate over 1 MiB"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = Oversized(e)))),
        ["route: backend_ca not a certificate"] = (StatusCode.InvalidArgument, "route.backend_ca", e => AddRoute(e, L, L7(e, r => (r.BackendTls, r.BackendCa) = (true, e.L7Key)))),
        ["route: backend_ca is a FIFO"] = (StatusCode.InvalidArgument, "route.backend_ca", e => AddRoute(e, L, L7(e, r => (r.BackendTls, r.BackendCa) = (true, Fifo(e))))),
        ["route: backend_ca relative"] = (StatusCode.InvalidArgument, "route.backend_ca", e => AddRoute(e, L, L7(e, r => (r.BackendTls, r.BackendCa) = (true, "ca.pem")))),
        ["route: hostname a dash"] = (StatusCode.InvalidArgument, "route.hostname", e => AddRoute(e, L, new Route { Hostname = "-", Backend = "127.0.0.1:1" })),
        ["route: hostname with an underscore"] = (StatusCode.InvalidArgument, "route.hostname", e => AddRoute(e, L, new Route { Hostname = "a_b.example.test", Backend = "127.0.0.1:1" })),
        ["route: hostname of 1 MB"] = (StatusCode.InvalidArgument, "route.hostname", e => AddRoute(e, L, new Route { Hostname = Megabyte, Backend = "127.0.0.1:1" })),
        ["route: backend of 1 MB"] = (StatusCode.InvalidArgument, "route.backend", e => AddRoute(e, L, new Route { Hostname = "x.example.test", Backend = Megabyte })),
        ["route: certificate path with a NUL"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = e.L7Cert + "\0.other"))),
        ["route: certificate path of 1 MB"] = (StatusCode.InvalidArgument, "route.tls_cert", e => AddRoute(e, L, L7(e, r => r.TlsCert = "/" + Megabyte))),
        ["remove route: hostname of 1 MB"] = (StatusCode.InvalidArgument, "hostname", e => e.Client.RemoveRouteAsync(L, Megabyte)),
        ["route: l7 with PROXY protocol"] = (StatusCode.InvalidArgument, "route.send_proxy_protocol", e => AddRoute(e, L, L7(e, r => r.SendProxyProtocol = true))),
        ["route: l7 with policies made l4"] = (StatusCode.FailedPrecondition, "route.mode", e => AddRoute(e, L, new Route { Hostname = AdminEnvironment.L7Host, Backend = "127.0.0.1:1" })),
        ["remove route: unknown hostname"] = (StatusCode.NotFound, "hostname", e => e.Client.RemoveRouteAsync(L, "nope.example.test")),
        ["remove route: unknown listener"] = (StatusCode.NotFound, "listener_addr", e => e.Client.RemoveRouteAsync(":9", AdminEnvironment.L4Host)),
        ["remove route: empty hostname"] = (StatusCode.InvalidArgument, "hostname", e => e.Client.RemoveRouteAsync(L, "")),
        ["firewall: unknown type"] = (StatusCode.InvalidArgument, "rule.type", e => e.Client.AddFirewallRuleAsync("mac", "00:11:22:33:44:55")),
        ["firewall: short IPv4"] = (StatusCode.InvalidArgument, "rule.value", e => e.Client.AddFirewallRuleAsync("ip", "1.2.3")),
        ["firewall: CIDR with host bits"] = (StatusCode.InvalidArgument, "rule.value", e => e.Client.AddFirewallRuleAsync("cidr", "10.0.0.1/8")),
        ["firewall: CIDR without prefix"] = (StatusCode.InvalidArgument, "rule.value", e => e.Client.AddFirewallRuleAsync("cidr", "10.0.0.0")),
        ["firewall: empty value"] = (StatusCode.InvalidArgument, "rule.value", e => e.Client.AddFirewallRuleAsync("ip", " ")),
        ["firewall: three-letter country"] = (StatusCode.InvalidArgument, "rule.value", e => e.Client.AddFirewallRuleAsync("country", "CHN")),
        ["firewall: country without geoip"] = (StatusCode.FailedPrecondition, "rule.type", e => e.Client.AddFirewallRuleAsync("country", "CN")),
        ["firewall: missing rule"] = (StatusCode.InvalidArgument, "rule", e => e.Client.Admin.AddFirewallRuleAsync(new AddFirewallRuleRequest()).ResponseAsync),
        ["firewall: remove unknown"] = (StatusCode.NotFound, "rule", e => e.Client.RemoveFirewallRuleAsync("cidr", "10.0.0.0/8")),
        ["policy: unknown type"] = (StatusCode.InvalidArgument, "policy.type", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "block_ip", "x")),
        ["policy: empty value"] = (StatusCode.InvalidArgument, "policy.value", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "require_header", "")),
        ["policy: header name with a value"] = (StatusCode.InvalidArgument, "policy.value", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "require_header", "X-Api-Key: secret")),
        ["policy: header name with CR LF"] = (StatusCode.InvalidArgument, "policy.value", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "require_header", "X-A\r\nX-B")),
        ["policy: header name with NUL"] = (StatusCode.InvalidArgument, "policy.value", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "require_header", "X-A\0")),
        ["policy: header name of 1 MB"] = (StatusCode.InvalidArgument, "policy.value", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "require_header", Megabyte)),
        ["policy: user agent with a control character"] = (StatusCode.InvalidArgument, "policy.value", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "block_user_agent", "Bot\u0007")),
        ["policy: user agent of 1 MB"] = (StatusCode.InvalidArgument, "policy.value", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "block_user_agent", Megabyte)),
        ["firewall: value of 1 MB"] = (StatusCode.InvalidArgument, "rule.value", e => e.Client.AddFirewallRuleAsync("cidr", Megabyte)),
        ["policy: unknown route"] = (StatusCode.NotFound, "hostname", e => e.Client.AddL7PolicyAsync(L, "nope.example.test", "require_header", "X")),
        ["policy: unknown listener"] = (StatusCode.NotFound, "listener_addr", e => e.Client.AddL7PolicyAsync(":9", AdminEnvironment.L7Host, "require_header", "X")),
        ["policy: on an l4 route"] = (StatusCode.FailedPrecondition, "hostname", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L4Host, "require_header", "X")),
        ["policy: duplicate"] = (StatusCode.AlreadyExists, "policy", e => e.Client.AddL7PolicyAsync(L, AdminEnvironment.L7Host, "block_user_agent", "GPTBot")),
        ["policy: remove unknown"] = (StatusCode.NotFound, "policy", e => e.Client.RemoveL7PolicyAsync(L, AdminEnvironment.L7Host, "require_header", "X")),
        ["policy: list on unknown route"] = (StatusCode.NotFound, "hostname", e => e.Client.ListL7PoliciesAsync(L, "nope.example.test")),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Mutation_BadArgument_AnswersStatusNamingFieldAndChangesNothing(string name)
    {
        var (code, field, call) = Calls[name];
        var before = State();

        var error = await Assert.ThrowsAsync<RpcException>(() => call(_env));

        Assert.Equal(code, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        // A value is quoted, never echoed whole: a 1 MB one comes back as 100 characters and its length.
        Assert.True(error.Status.Detail.Length < 600, error.Status.Detail[..Math.Min(600, error.Status.Detail.Length)]);
        Assert.Equal(before, State());
    }

    private static Task AddRoute(AdminEnvironment e, string listener, Route route) => e.Client.AddRouteAsync(listener, route);

    private static Route L7(AdminEnvironment e, Action<Route> change)
    {
        var route = new Route
        {
            Hostname = "secure.example.test",
            Backend = "127.0.0.1:1",
            Mode = "l7",
            TlsCert = e.L7Cert,
            TlsKey = e.L7Key,
        };
        change(route);
        return route;
    }

    private static string Garbage(AdminEnvironment e)
    {
        var path = Path.Combine(e.Directory, "garbage.pem");
        File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        return path;
    }

    private static string Fifo(AdminEnvironment e) => Fifos.Create(e.Directory, $"fifo-{Guid.NewGuid():N}.pem");

    private static string Oversized(AdminEnvironment e)
    {
        var path = Path.Combine(e.Directory, "huge.pem");
        var pem = File.ReadAllText(e.L7Cert);
        File.WriteAllText(path, string.Concat(Enumerable.Repeat(pem, (2 << 20) / pem.Length + 1)));
        return path;
    }

    private static string OtherKey(AdminEnvironment e) => AdminCertificates.Write(e.Certs.IssueServer("other.example.test"), e.Directory, "other").Key;

    /// <summary>Everything a mutation could touch, in memory and in the database, as one comparable text.</summary>
    private string State()
    {
        var text = new StringBuilder();
        var live = _env.Proxy.Server.Routing.FindListener(L)!;
        foreach (var route in live.Snapshot.Routes.Routes.OrderBy(r => r.Hostname, StringComparer.Ordinal))
        {
            text.AppendLine($"live {route.Route}");
            foreach (var policy in live.Snapshot.Policies.For(route.Hostname))
            {
                text.AppendLine($"live policy {route.Hostname} {policy}");
            }
        }

        foreach (var route in _env.Store.Routes.List())
        {
            text.AppendLine($"db {route}");
        }

        foreach (var policy in _env.Store.L7Policies.List())
        {
            text.AppendLine($"db {policy}");
        }

        foreach (var rule in _env.Store.FirewallRules.List())
        {
            text.AppendLine($"db {rule}");
        }

        return text.ToString();
    }
}
