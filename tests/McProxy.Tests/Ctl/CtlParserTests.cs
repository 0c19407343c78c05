using System.CommandLine;
using McProxy.Client;
using McProxyCtl;

namespace McProxy.Tests.Ctl;

/// <summary>mcproxyctl's command line, parsed in-process: verbs, flags, usage errors (exit 2) and where the server is found.</summary>
public sealed class CtlParserTests
{
    private static ParseResult Parse(params string[] args)
        => CtlCli.CreateRoot(new CtlContext(TextWriter.Null, TextWriter.Null, _ => null)).Parse(args);

    [Theory]
    [InlineData("status")]
    [InlineData("routes", "list")]
    [InlineData("routes", "list", "--listener", ":443")]
    [InlineData("routes", "add", "--listener", ":443", "--hostname", "a.example.net", "--backend", "127.0.0.1:8080")]
    [InlineData("routes", "add", "--listener", ":443", "--hostname", "a.example.net", "--backend", "127.0.0.1:8080", "--mode", "l7", "--tls-cert", "/c.pem", "--tls-key", "/k.pem", "--backend-tls", "--backend-ca", "/ca.pem")]
    [InlineData("routes", "add", "--listener", ":443", "--hostname", "a.example.net", "--backend", "127.0.0.1:8080", "--backend-h2c", "--send-proxy-protocol")]
    [InlineData("routes", "add", "--listener", ":443", "--hostname", "a.example.net", "--backend", "10.0.0.1:80", "--backend", "10.0.0.2:80", "--balance", "first", "--health-check", "http:/healthz")]
    [InlineData("routes", "remove", "--listener", ":443", "--hostname", "a.example.net")]
    [InlineData("backends", "list", "--listener", ":443", "--hostname", "a.example.net")]
    [InlineData("backends", "enable", "--listener", ":443", "--hostname", "a.example.net", "--backend", "10.0.0.1:80")]
    [InlineData("backends", "drain", "--listener", ":443", "--hostname", "a.example.net", "--backend", "10.0.0.1:80")]
    [InlineData("backends", "disable", "--listener", ":443", "--hostname", "a.example.net", "--backend", "10.0.0.1:80")]
    [InlineData("firewall", "list")]
    [InlineData("firewall", "add", "--type", "ip", "--value", "192.0.2.1")]
    [InlineData("firewall", "remove", "--type", "country", "--value", "CN")]
    [InlineData("policies", "list", "--listener", ":443", "--hostname", "a.example.net")]
    [InlineData("policies", "add", "--listener", ":443", "--hostname", "a.example.net", "--type", "block_user_agent", "--value", "GPTBot")]
    [InlineData("policies", "remove", "--listener", ":443", "--hostname", "a.example.net", "--type", "require_header", "--value", "X-Token")]
    [InlineData("--socket", "/run/x.sock", "--json", "status")]
    [InlineData("status", "--addr", "127.0.0.1:9443", "--ca", "/ca.pem", "--cert", "/c.pem", "--key", "/k.pem")]
    public void Parse_SpecVerbsAndFlags_HaveNoErrors(params string[] args)
    {
        var result = Parse(args);

        Assert.Empty(result.Errors);
        Assert.IsAssignableFrom<Command>(result.CommandResult.Command);
    }

    [Fact]
    public void Parse_RoutesAdd_ReadsEveryFlagIntoItsOption()
    {
        var result = Parse("--json", "routes", "add", "--listener", ":443", "--hostname", "a.example.net", "--backend", "10.0.0.1:80", "--mode", "l7", "--backend-tls");

        Assert.Equal("add", result.CommandResult.Command.Name);
        Assert.Equal(":443", result.GetValue<string>("--listener"));
        Assert.Equal("l7", result.GetValue<string>("--mode"));
        Assert.True(result.GetValue<bool>("--backend-tls"));
        Assert.False(result.GetValue<bool>("--backend-h2c"));
        Assert.True(result.GetValue<bool>("--json"));
    }

    [Fact]
    public void Parse_RoutesAdd_BackendRepeats_InOrder()
    {
        var result = Parse("routes", "add", "--listener", ":443", "--hostname", "a.example.net", "--backend", "10.0.0.2:80", "--backend", "10.0.0.1:80", "--balance", "round_robin", "--health-check", "tcp");

        Assert.Empty(result.Errors);
        Assert.Equal(["10.0.0.2:80", "10.0.0.1:80"], result.GetValue<string[]>("--backend")!);
        Assert.Equal("round_robin", result.GetValue<string>("--balance"));
        Assert.Equal("tcp", result.GetValue<string>("--health-check"));
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("routes")]
    [InlineData("routes", "add", "--listener", ":443", "--hostname", "a.example.net")]
    [InlineData("routes", "add", "--listener", ":443", "--hostname", "a.example.net", "--backend", "x:1", "--mode", "l5")]
    [InlineData("routes", "remove", "--hostname", "a.example.net")]
    [InlineData("firewall", "add", "--type", "mac", "--value", "x")]
    [InlineData("firewall", "add", "--type", "ip")]
    [InlineData("policies", "add", "--listener", ":443", "--hostname", "a", "--type", "block_ip", "--value", "x")]
    [InlineData("policies", "list", "--listener", ":443")]
    [InlineData("routes", "add", "--listener", ":443", "--hostname", "a.example.net", "--backend", "x:1", "--balance", "random")]
    [InlineData("backends", "drain", "--listener", ":443", "--hostname", "a.example.net")]
    [InlineData("backends", "list", "--listener", ":443")]
    [InlineData("backends", "maint", "--listener", ":443", "--hostname", "a.example.net", "--backend", "x:1")]
    public async Task Run_BadCommandLine_ExitsWithUsageAndSaysWhyOnStderr(params string[] args)
    {
        var run = await CtlRun.RunAsync(["--socket", "/nonexistent.sock", .. args]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("mcproxyctl: ", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task Run_NoServerNamed_ExitsWithUsageNamingTheFlagsAndVariables()
    {
        var run = await CtlRun.RunAsync("status");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--socket", run.Error, StringComparison.Ordinal);
        Assert.Contains("MCPROXY_SOCKET", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SocketAndAddrTogether_ExitsWithUsage()
    {
        var run = await CtlRun.RunAsync("--socket", "/x.sock", "--addr", "127.0.0.1:1", "status");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("exclusive", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CertWithoutKey_ExitsWithUsage()
    {
        var run = await CtlRun.RunAsync("--addr", "127.0.0.1:1", "--cert", "/c.pem", "status");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--key", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SocketFromEnvironmentWithNobodyListening_ExitsUnreachable()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"mcproxyctl-{Guid.NewGuid():N}.sock");

        var run = await CtlRun.RunAsync(new Dictionary<string, string> { ["MCPROXY_SOCKET"] = socket }, "status");

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Contains(socket, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AddrFromEnvironmentWithNobodyListening_ExitsUnreachable()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        var run = await CtlRun.RunAsync(new Dictionary<string, string> { ["MCPROXY_ADDR"] = $"127.0.0.1:{port}" }, "firewall", "list");

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Contains($"127.0.0.1:{port}", run.Error, StringComparison.Ordinal);
    }
}
