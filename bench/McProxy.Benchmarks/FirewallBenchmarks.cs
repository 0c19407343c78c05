using System.Net;
using BenchmarkDotNet.Attributes;
using McProxy.Config;
using McProxy.Firewall;
using McProxy.Model;

namespace McProxy.Benchmarks;

/// <summary>
/// The global firewall's check, run on every accepted connection before a byte is read: 200 blocked addresses,
/// 100 blocked CIDRs (IPv4 and IPv6) and the per-IP rate limiter, for an admitted and a blocked client.
/// </summary>
[MemoryDiagnoser]
public class FirewallBenchmarks
{
    private GlobalFirewall _firewall = null!;
    private IPAddress _client = IPAddress.None;

    [Params("198.51.100.77", "203.0.113.9", "2001:db8:1::5")]
    public string Client { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        // A limit no benchmark reaches: the limiter is exercised, the client is never refused for rate.
        _firewall = GlobalFirewall.Create(new FirewallConfig { RateLimit = int.MaxValue, RateWindow = TimeSpan.FromSeconds(10) });
        var rules = Enumerable.Range(0, 200).Select(i => new FirewallRule(FirewallRules.Ip, $"192.0.2.{i}"))
            .Concat(Enumerable.Range(0, 50).Select(i => new FirewallRule(FirewallRules.Cidr, $"10.{i}.0.0/16")))
            .Concat(Enumerable.Range(0, 50).Select(i => new FirewallRule(FirewallRules.Cidr, $"2001:db8:{i + 100:x}::/48")))
            .Append(new FirewallRule(FirewallRules.Cidr, "203.0.113.0/24"));
        if (_firewall.Update(rules).Errors.Count > 0)
        {
            throw new InvalidOperationException("benchmark rules do not load");
        }

        _client = IPAddress.Parse(Client);
        var expected = Client == "203.0.113.9" ? FirewallReason.Cidr : null;
        if (_firewall.Check(_client) != expected)
        {
            throw new InvalidOperationException($"{Client}: expected {expected ?? "admit"}");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _firewall.Dispose();

    [Benchmark]
    public string? Check() => _firewall.Check(_client);
}
