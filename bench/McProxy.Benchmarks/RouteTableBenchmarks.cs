using BenchmarkDotNet.Attributes;
using McProxy.Model;
using McProxy.Routing;

namespace McProxy.Benchmarks;

/// <summary>Route lookup in a listener's table of 100 exact and 20 wildcard routes: once per connection.</summary>
[MemoryDiagnoser]
public class RouteTableBenchmarks
{
    private RouteTable _table = RouteTable.Empty;

    [Params("app42.example.net", "x.tenant7.example.org", "unknown.example.com")]
    public string ServerName { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var routes = Enumerable.Range(0, 100).Select(i => Route($"app{i}.example.net", 9000 + i))
            .Concat(Enumerable.Range(0, 20).Select(i => Route($"*.tenant{i}.example.org", 10000 + i)))
            .Append(Route("fallback.example.net", 8999));
        _table = new RouteTable(routes, "fallback.example.net");
        if (_table.Match(ServerName) is null)
        {
            throw new InvalidOperationException($"{ServerName} matches nothing");
        }
    }

    [Benchmark]
    public string? Match() => _table.Match(ServerName)?.Hostname;

    private static RouteEntry Route(string hostname, int port) => new(new RouteSettings { Hostname = hostname, Backends = [$"127.0.0.1:{port}"] });
}
