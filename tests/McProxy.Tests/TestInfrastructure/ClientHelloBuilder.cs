using System.Buffers.Binary;
using System.Text;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// Builds TLS 1.2-style ClientHello records for tests that need exact control over the bytes (a real client is
/// used wherever the test is about interoperability). Layout follows RFC 8446 §4.1.2 and RFC 6066 §3.
/// </summary>
public static class ClientHelloBuilder
{
    public static byte[] Build(string? serverName, string[]? alpn = null, int padding = 0, int recordSize = 16384)
        => Frame(Message(serverName, alpn, padding), recordSize);

    /// <summary>The handshake message: type 1, 24-bit length, body.</summary>
    public static byte[] Message(string? serverName, string[]? alpn = null, int padding = 0)
    {
        var extensions = new List<byte>();
        if (serverName is not null)
        {
            var name = Encoding.ASCII.GetBytes(serverName);
            var entry = new List<byte> { 0 };
            entry.AddRange(U16(name.Length));
            entry.AddRange(name);
            extensions.AddRange(Extension(0, [.. U16(entry.Count), .. entry]));
        }

        if (alpn is not null)
        {
            var list = new List<byte>();
            foreach (var protocol in alpn)
            {
                list.Add((byte)protocol.Length);
                list.AddRange(Encoding.ASCII.GetBytes(protocol));
            }

            extensions.AddRange(Extension(16, [.. U16(list.Count), .. list]));
        }

        if (padding > 0)
        {
            extensions.AddRange(Extension(21, new byte[padding]));
        }

        var body = new List<byte> { 3, 3 };
        body.AddRange(new byte[32]);
        body.Add(0);
        body.AddRange([0, 2, 0x13, 0x01]);
        body.AddRange([1, 0]);
        body.AddRange(U16(extensions.Count));
        body.AddRange(extensions);
        return [1, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count, .. body];
    }

    /// <summary>Splits a handshake message into TLS records of at most <paramref name="recordSize"/> bytes each.</summary>
    public static byte[] Frame(byte[] message, int recordSize)
    {
        var output = new List<byte>();
        for (var offset = 0; offset < message.Length; offset += recordSize)
        {
            var length = Math.Min(recordSize, message.Length - offset);
            output.AddRange([22, 3, 1]);
            output.AddRange(U16(length));
            output.AddRange(message.AsSpan(offset, length).ToArray());
        }

        return [.. output];
    }

    private static byte[] Extension(int type, byte[] data) => [.. U16(type), .. U16(data.Length), .. data];

    private static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }
}
