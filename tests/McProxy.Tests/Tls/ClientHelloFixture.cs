using System.Text.Json;

namespace McProxy.Tests.Tls;

/// <summary>A ClientHello captured from a real client, with the facts its sidecar JSON records (see Fixtures/ClientHello/README.md).</summary>
public sealed record ClientHelloFixture(string Name, byte[] Bytes, string? Sni, string[] Alpn, int HandshakeLength, int Records)
{
    public static readonly string[] Names =
        [
            "openssl-sni-alpn", "openssl-tls12", "openssl-no-sni", "openssl-fragmented", "curl", "dotnet-sslstream", "chromium",
            "openssl-alpn-17", "openssl-alpn-200",
        ];

    public static ClientHelloFixture Load(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "ClientHello");
        using var sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, name + ".json")));
        var root = sidecar.RootElement;
        return new ClientHelloFixture(
            name,
            File.ReadAllBytes(Path.Combine(directory, name + ".bin")),
            root.GetProperty("sni").ValueKind == JsonValueKind.Null ? null : root.GetProperty("sni").GetString(),
            [.. root.GetProperty("alpn").EnumerateArray().Select(e => e.GetString()!)],
            root.GetProperty("handshake_length").GetInt32(),
            root.GetProperty("records").GetInt32());
    }

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names)
        {
            data.Add(name);
        }

        return data;
    }

    /// <summary>The handshake message (header included), reassembled from the fixture's records.</summary>
    public byte[] Message()
    {
        var message = new List<byte>();
        for (var offset = 0; offset < Bytes.Length;)
        {
            var length = (Bytes[offset + 3] << 8) | Bytes[offset + 4];
            message.AddRange(Bytes.AsSpan(offset + 5, length).ToArray());
            offset += 5 + length;
        }

        return [.. message];
    }
}
