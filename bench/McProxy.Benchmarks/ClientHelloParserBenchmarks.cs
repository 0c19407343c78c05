using BenchmarkDotNet.Attributes;
using McProxy.Tls;

namespace McProxy.Benchmarks;

/// <summary>
/// The ClientHello parser over real clients' hellos: once per connection on the hot path, and again for every
/// segment while a hello arrives in pieces. Goal: no allocation once the server names have been seen.
/// </summary>
[MemoryDiagnoser]
public class ClientHelloParserBenchmarks
{
    private byte[] _hello = [];

    [Params("chromium", "curl", "openssl-sni-alpn", "openssl-fragmented")]
    public string Client { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _hello = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "ClientHello", Client + ".bin"));
        // Benchmarks check their result before they measure.
        var result = ClientHelloParser.TryParse(_hello);
        if (result.Status != HelloParseStatus.Complete || result.Hello.ServerName is null)
        {
            throw new InvalidOperationException($"{Client}: parse gave {result.Status} {result.Error}");
        }
    }

    [Benchmark]
    public string? Complete() => ClientHelloParser.TryParse(_hello).Hello.ServerName;

    /// <summary>The hello's first half: what an incomplete read costs.</summary>
    [Benchmark]
    public int HalfArrived() => (int)ClientHelloParser.TryParse(_hello.AsSpan(0, _hello.Length / 2)).Status;
}
