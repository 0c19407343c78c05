using System.Buffers.Binary;
using System.Text;

namespace McProxy.LoadGen;

/// <summary>
/// A ClientHello in one TLS record, shaped like a TLS 1.3 client's (RFC 8446 §4.1.2): SNI, ALPN, supported
/// versions and a 32-byte key share, about 250 bytes. The proxies only read it; the backends skip it.
/// </summary>
internal static class ClientHello
{
    public static byte[] Build(string serverName)
    {
        var body = new List<byte> { 3, 3 };
        body.AddRange(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)));
        body.Add(32);
        body.AddRange(Enumerable.Range(0, 32).Select(i => (byte)(255 - i)));
        ushort[] suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030];
        body.AddRange(U16(suites.Length * 2));
        foreach (var suite in suites)
        {
            body.AddRange(U16(suite));
        }

        body.AddRange([1, 0]);

        var name = Encoding.ASCII.GetBytes(serverName);
        var extensions = new List<byte>();
        extensions.AddRange(Extension(0, [.. U16(name.Length + 3), 0, .. U16(name.Length), .. name]));
        extensions.AddRange(Extension(16, [0, 12, 2, (byte)'h', (byte)'2', 8, .. "http/1.1"u8]));
        extensions.AddRange(Extension(43, [4, 3, 4, 3, 3]));
        extensions.AddRange(Extension(10, [0, 2, 0, 29]));
        extensions.AddRange(Extension(51, [0, 36, 0, 29, 0, 32, .. Enumerable.Range(0, 32).Select(i => (byte)(i + 1))]));
        body.AddRange(U16(extensions.Count));
        body.AddRange(extensions);

        byte[] message = [1, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count, .. body];
        return [22, 3, 1, .. U16(message.Length), .. message];
    }

    private static byte[] Extension(int type, byte[] data) => [.. U16(type), .. U16(data.Length), .. data];

    private static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }
}
