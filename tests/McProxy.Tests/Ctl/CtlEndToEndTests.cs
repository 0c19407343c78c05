using System.Text.Json;
using McProxy.Client;
using McProxy.Tests.Admin;

namespace McProxy.Tests.Ctl;

/// <summary>mcproxyctl in-process against a live proxy's admin socket: tables, --json, and the server's refusals.</summary>
public sealed class CtlEndToEndTests : IAsyncLifetime
{
    private const string L = AdminEnvironment.Listener;
    private AdminEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await AdminEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private Task<CtlRun> Ctl(params string[] args) => CtlRun.RunAsync(["--socket", _env.SocketPath, .. args]);

    [Fact]
    public async Task Status_Table_ShowsVersionAndListenerRow()
    {
        var run = await Ctl("status");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("mc-proxy 0.1.0, up ", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^LISTENER\s+BOUND\s+ROUTES\s+POLICIES\s+ACTIVE\s+TOTAL\s+PROXY_PROTOCOL$", lines[1]);
        Assert.Matches($@"^{L.Replace(".", "\\.", StringComparison.Ordinal)}\s+{_env.Proxy.EndPoint().ToString().Replace(".", "\\.", StringComparison.Ordinal)}\s+2\s+0\s+0\s+0\s+no$", lines[2]);
        Assert.Equal(lines[1].IndexOf("BOUND", StringComparison.Ordinal), lines[2].IndexOf(_env.Proxy.EndPoint().ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_Json_IsOneParsableObject()
    {
        var run = await Ctl("--json", "status");

        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal("0.1.0", json.RootElement.GetProperty("version").GetString());
        Assert.Equal(L, json.RootElement.GetProperty("listeners")[0].GetProperty("addr").GetString());
    }

    [Fact]
    public async Task Routes_AddListRemove_ChangesTheLiveServer()
    {
        var add = await Ctl("routes", "add", "--listener", L, "--hostname", "ctl.example.test", "--backend", _env.One.Address);
        Assert.Equal(ExitCodes.Success, add.ExitCode);
        Assert.Equal($"route ctl.example.test on {L}: l4 to {_env.One.Address}\n", add.Out);

        var list = await Ctl("routes", "list", "--listener", L);
        var rows = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^LISTENER\s+HOSTNAME\s+MODE\s+BACKENDS\s+POLICIES\s+OPTIONS$", rows[0]);
        Assert.Contains(rows, r => r.Contains("ctl.example.test", StringComparison.Ordinal) && r.Contains(_env.One.Address, StringComparison.Ordinal));

        var json = await Ctl("--json", "routes", "list");
        using (var document = JsonDocument.Parse(json.Out))
        {
            var hostnames = document.RootElement.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("hostname").GetString()).ToList();
            Assert.Equal(["ctl.example.test", AdminEnvironment.L4Host, AdminEnvironment.L7Host], hostnames);
        }

        var remove = await Ctl("routes", "remove", "--listener", L, "--hostname", "ctl.example.test");
        Assert.Equal(ExitCodes.Success, remove.ExitCode);
        Assert.DoesNotContain(_env.Store.Routes.List(), r => r.Hostname == "ctl.example.test");
    }

    [Fact]
    public async Task Backends_AddPool_ListDrainEnable_ChangesTheLiveServer()
    {
        var add = await Ctl("routes", "add", "--listener", L, "--hostname", "pool.example.test", "--backend", "127.0.0.1:9101", "--backend", "127.0.0.1:9102", "--balance", "first");
        Assert.Equal(ExitCodes.Success, add.ExitCode);
        Assert.Equal($"route pool.example.test on {L}: l4 to 127.0.0.1:9101, 127.0.0.1:9102 (first, health check tcp)\n", add.Out);

        var routes = await Ctl("routes", "list", "--listener", L);
        Assert.Contains(routes.Out.Split('\n'), r => r.Contains("pool.example.test", StringComparison.Ordinal) && r.Contains("127.0.0.1:9101,127.0.0.1:9102", StringComparison.Ordinal) && r.Contains("balance=first", StringComparison.Ordinal));

        var drain = await Ctl("backends", "drain", "--listener", L, "--hostname", "pool.example.test", "--backend", "127.0.0.1:9102");
        Assert.Equal(ExitCodes.Success, drain.ExitCode);
        Assert.Equal($"backend 127.0.0.1:9102 of pool.example.test ({L}): drain, up, 0 active\n", drain.Out);

        var list = await Ctl("backends", "list", "--listener", L, "--hostname", "pool.example.test");
        Assert.Matches(@"^BACKEND\s+STATE\s+HEALTH\s+ACTIVE\s+FAILED_CONNECTS\n127\.0\.0\.1:9101\s+enabled\s+up\s+0\s+0\n127\.0\.0\.1:9102\s+drain\s+up\s+0\s+0\n$", list.Out);

        var json = await Ctl("--json", "backends", "list", "--listener", L, "--hostname", "pool.example.test");
        using (var document = JsonDocument.Parse(json.Out))
        {
            var states = document.RootElement.GetProperty("backend_status").EnumerateArray().Select(b => b.GetProperty("admin_state").GetString()).ToList();
            Assert.Equal(["enabled", "drain"], states);
            Assert.Equal(2, document.RootElement.GetProperty("backends").GetArrayLength());
        }

        Assert.Equal(ExitCodes.Success, (await Ctl("backends", "enable", "--listener", L, "--hostname", "pool.example.test", "--backend", "127.0.0.1:9102")).ExitCode);
        Assert.All(_env.Store.Routes.List().Single(r => r.Hostname == "pool.example.test").BackendStates.Values, s => Assert.Equal(McProxy.Model.BackendAdminState.Enabled, s));
    }

    [Fact]
    public async Task Policies_AddListRemove_WithJson()
    {
        var add = await Ctl("policies", "add", "--listener", L, "--hostname", AdminEnvironment.L7Host, "--type", "block_user_agent", "--value", "GPTBot");
        Assert.Equal(ExitCodes.Success, add.ExitCode);

        var list = await Ctl("--json", "policies", "list", "--listener", L, "--hostname", AdminEnvironment.L7Host);
        using (var document = JsonDocument.Parse(list.Out))
        {
            var policy = Assert.Single(document.RootElement.GetProperty("policies").EnumerateArray());
            Assert.Equal("block_user_agent", policy.GetProperty("type").GetString());
            Assert.Equal("GPTBot", policy.GetProperty("value").GetString());
        }

        var table = await Ctl("policies", "list", "--listener", L, "--hostname", AdminEnvironment.L7Host);
        Assert.Matches(@"^TYPE\s+VALUE\nblock_user_agent\s+GPTBot\n$", table.Out);

        var remove = await Ctl("policies", "remove", "--listener", L, "--hostname", AdminEnvironment.L7Host, "--type", "block_user_agent", "--value", "GPTBot");
        Assert.Equal(ExitCodes.Success, remove.ExitCode);
        Assert.Empty(_env.Store.L7Policies.List());
        Assert.Empty(_env.Proxy.Server.Routing.FindListener(L)!.Snapshot.Policies.For(AdminEnvironment.L7Host));
    }

    [Fact]
    public async Task Firewall_AddListRemove()
    {
        Assert.Equal(ExitCodes.Success, (await Ctl("firewall", "add", "--type", "cidr", "--value", "203.0.113.0/24")).ExitCode);

        var list = await Ctl("firewall", "list");
        Assert.Matches(@"^TYPE\s+VALUE\ncidr\s+203\.0\.113\.0/24\n$", list.Out);

        Assert.Equal(ExitCodes.Success, (await Ctl("firewall", "remove", "--type", "cidr", "--value", "203.0.113.0/24")).ExitCode);
        Assert.Empty(_env.Store.FirewallRules.List());
    }

    [Theory]
    [InlineData("InvalidArgument", "routes", "add", "--listener", L, "--hostname", "bad host", "--backend", "127.0.0.1:1")]
    [InlineData("NotFound", "routes", "remove", "--listener", L, "--hostname", "nope.example.test")]
    [InlineData("FailedPrecondition", "policies", "add", "--listener", L, "--hostname", AdminEnvironment.L4Host, "--type", "require_header", "--value", "X")]
    [InlineData("NotFound", "routes", "list", "--listener", ":9")]
    [InlineData("NotFound", "backends", "drain", "--listener", L, "--hostname", AdminEnvironment.L4Host, "--backend", "127.0.0.1:1")]
    [InlineData("NotFound", "backends", "list", "--listener", L, "--hostname", "nope.example.test")]
    public async Task Run_ServerRejects_ExitsOneWithStatusOnStderr(string status, params string[] args)
    {
        var run = await Ctl(args);

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.EndsWith($"({status})\n", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task Run_SocketFromEnvironment_Works()
    {
        var run = await CtlRun.RunAsync(new Dictionary<string, string> { ["MCPROXY_SOCKET"] = _env.SocketPath }, "firewall", "list");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("TYPE  VALUE\n", run.Out);
    }
}
