using System.Net;
using BenchmarkDotNet.Attributes;
using McProxy.ProxyProtocol;

namespace McProxy.Benchmarks;

/// <summary>The PROXY v1 and v2 parsers on the headers an edge instance sends (and a v2 header with TLVs).</summary>
[MemoryDiagnoser]
public class ProxyHeaderParserBenchmarks
{
    private readonly byte[] _v1 = "PROXY TCP4 203.0.113.7 192.0.2.1 51234 443\r\n"u8.ToArray();
    private readonly byte[] _v1Ipv6 = "PROXY TCP6 2001:db8::7 2001:db8::1 51234 443\r\n"u8.ToArray();
    private byte[] _v2 = [];
    private byte[] _v2Tlvs = [];

    [GlobalSetup]
    public void Setup()
    {
        var source = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 51234);
        var destination = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 443);
        _v2 = new byte[ProxyHeaderWriter.GetV2Length(source, destination, null, null)];
        ProxyHeaderWriter.WriteV2(_v2, source, destination, null, null);
        _v2Tlvs = new byte[ProxyHeaderWriter.GetV2Length(source, destination, "app.example.net", "h2")];
        ProxyHeaderWriter.WriteV2(_v2Tlvs, source, destination, "app.example.net", "h2");
        foreach (var header in new[] { _v1, _v1Ipv6, _v2, _v2Tlvs })
        {
            if (ProxyHeaderParser.TryParse(header, out var parsed).Status != ProxyParseStatus.Complete || parsed?.Source is null)
            {
                throw new InvalidOperationException("a benchmark header does not parse");
            }
        }
    }

    [Benchmark]
    public IPEndPoint? V1Tcp4() => Parse(_v1);

    [Benchmark]
    public IPEndPoint? V1Tcp6() => Parse(_v1Ipv6);

    [Benchmark]
    public IPEndPoint? V2Tcp4() => Parse(_v2);

    [Benchmark]
    public IPEndPoint? V2Tcp4WithTlvs() => Parse(_v2Tlvs);

    /// <summary>Half a v2 header: what each incomplete read costs.</summary>
    [Benchmark]
    public int V2HalfArrived() => (int)ProxyHeaderParser.TryParse(_v2.AsSpan(0, _v2.Length / 2), out _).Status;

    private static IPEndPoint? Parse(byte[] header)
    {
        ProxyHeaderParser.TryParse(header, out var parsed);
        return parsed?.Source;
    }
}
