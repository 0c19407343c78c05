using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// Writes a small MaxMind DB (format 2.0, maxmind.github.io/MaxMind-DB) mapping networks to a country ISO code, in
/// the shape a GeoIP2/GeoLite2 Country database has ({"country": {"iso_code": ...}}), so that tests run the real
/// MaxMind reader against known answers. An IPv6 tree with 24-bit records; IPv4 networks are placed under ::/96,
/// where the reader looks them up. Networks must not nest.
/// </summary>
public sealed class MaxMindDbWriter
{
    private static readonly byte[] MetadataMarker = [0xAB, 0xCD, 0xEF, .. "MaxMind.com"u8];
    private readonly Node _root = new();
    private readonly Dictionary<string, int> _dataOffsets = new(StringComparer.Ordinal);
    private readonly List<byte> _data = [];

    /// <summary>Maps <paramref name="cidr"/> (e.g. "127.0.0.0/8", "::1/128") to the country <paramref name="isoCode"/>.</summary>
    public MaxMindDbWriter Add(string cidr, string isoCode)
    {
        var network = IPNetwork.Parse(cidr);
        Span<byte> bytes = stackalloc byte[16];
        int prefix;
        if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[..12].Clear();
            network.BaseAddress.TryWriteBytes(bytes[12..], out _);
            prefix = 96 + network.PrefixLength;
        }
        else
        {
            network.BaseAddress.TryWriteBytes(bytes, out _);
            prefix = network.PrefixLength;
        }

        if (!_dataOffsets.TryGetValue(isoCode, out var offset))
        {
            offset = _data.Count;
            _dataOffsets[isoCode] = offset;
            WriteMap(_data, 1);
            WriteString(_data, "country");
            WriteMap(_data, 1);
            WriteString(_data, "iso_code");
            WriteString(_data, isoCode);
        }

        var node = _root;
        for (var depth = 0; depth < prefix; depth++)
        {
            var bit = (bytes[depth / 8] >> (7 - (depth % 8))) & 1;
            if (depth == prefix - 1)
            {
                node.Children[bit] = offset;
            }
            else
            {
                if (node.Children[bit] is not Node next)
                {
                    next = new Node();
                    node.Children[bit] = next;
                }

                node = next;
            }
        }

        return this;
    }

    public byte[] Build(string databaseType = "Test-Country")
    {
        // Breadth-first numbering: the root is node 0, as the reader expects.
        var nodes = new List<Node> { _root };
        for (var i = 0; i < nodes.Count; i++)
        {
            nodes[i].Index = i;
            foreach (var child in nodes[i].Children)
            {
                if (child is Node node)
                {
                    nodes.Add(node);
                }
            }
        }

        var nodeCount = nodes.Count;
        var file = new List<byte>();
        foreach (var node in nodes)
        {
            foreach (var child in node.Children)
            {
                var record = child switch
                {
                    Node next => next.Index,
                    int dataOffset => nodeCount + 16 + dataOffset,
                    _ => nodeCount,
                };
                file.Add((byte)(record >> 16));
                file.Add((byte)(record >> 8));
                file.Add((byte)record);
            }
        }

        file.AddRange(new byte[16]);
        file.AddRange(_data);
        file.AddRange(MetadataMarker);
        WriteMap(file, 9);
        WriteString(file, "binary_format_major_version");
        WriteUnsigned(file, 5, 2);
        WriteString(file, "binary_format_minor_version");
        WriteUnsigned(file, 5, 0);
        WriteString(file, "build_epoch");
        WriteUnsigned(file, 9, (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        WriteString(file, "database_type");
        WriteString(file, databaseType);
        WriteString(file, "description");
        WriteMap(file, 1);
        WriteString(file, "en");
        WriteString(file, "mc-proxy test database");
        WriteString(file, "ip_version");
        WriteUnsigned(file, 5, 6);
        WriteString(file, "languages");
        WriteControl(file, 11, 1);
        WriteString(file, "en");
        WriteString(file, "node_count");
        WriteUnsigned(file, 6, (ulong)nodeCount);
        WriteString(file, "record_size");
        WriteUnsigned(file, 5, 24);
        return [.. file];
    }

    public string WriteTo(string directory)
    {
        var path = Path.Combine(directory, "test-country.mmdb");
        File.WriteAllBytes(path, Build());
        return path;
    }

    private static void WriteMap(List<byte> output, int pairs) => WriteControl(output, 7, pairs);

    private static void WriteString(List<byte> output, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteControl(output, 2, bytes.Length);
        output.AddRange(bytes);
    }

    /// <summary>An unsigned integer of <paramref name="type"/> (5 uint16, 6 uint32, 9 uint64): big-endian, leading zeros dropped.</summary>
    private static void WriteUnsigned(List<byte> output, int type, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        var significant = bytes.TrimStart((byte)0);
        WriteControl(output, type, significant.Length);
        output.AddRange(significant.ToArray());
    }

    /// <summary>The control byte: type in the top three bits (0 plus an extension byte for types over 7), then the size.</summary>
    private static void WriteControl(List<byte> output, int type, int size)
    {
        var typeBits = type <= 7 ? type << 5 : 0;
        var sizeBytes = new List<byte>();
        int sizeBits;
        if (size < 29)
        {
            sizeBits = size;
        }
        else if (size < 29 + 256)
        {
            sizeBits = 29;
            sizeBytes.Add((byte)(size - 29));
        }
        else
        {
            sizeBits = 30;
            var rest = size - 285;
            sizeBytes.Add((byte)(rest >> 8));
            sizeBytes.Add((byte)rest);
        }

        output.Add((byte)(typeBits | sizeBits));
        if (type > 7)
        {
            output.Add((byte)(type - 7));
        }

        output.AddRange(sizeBytes);
    }

    private sealed class Node
    {
        public object?[] Children { get; } = new object?[2];

        public int Index { get; set; }
    }
}
