using System.Text;
using McProxy.ProxyProtocol;

namespace McProxy.Tests.ProxyProtocol;

/// <summary>Builds and describes fixture bytes; independent of the code under test where it matters (CRC32C).</summary>
internal static class ProxyTestBytes
{
    public static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>What a TLS connection sends first, plus a CRLF a sloppy v1 parser might run on to.</summary>
    public static readonly byte[] TlsBytes = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, 0x0D, 0x0A];

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>"0D0A 21 11" with spaces for readability.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>A 108-byte sun_path: the path, NUL-padded.</summary>
    public static byte[] UnixPath(string path)
    {
        var bytes = new byte[108];
        Encoding.UTF8.GetBytes(path).CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>Fills in a PP2_TYPE_CRC32C value at <paramref name="valueOffset"/> using a bitwise reference CRC.</summary>
    public static byte[] WithCrc32c(byte[] header, int valueOffset)
    {
        var copy = (byte[])header.Clone();
        Array.Clear(copy, valueOffset, 4);
        var crc = ReferenceCrc32c(copy);
        copy[valueOffset] = (byte)(crc >> 24);
        copy[valueOffset + 1] = (byte)(crc >> 16);
        copy[valueOffset + 2] = (byte)(crc >> 8);
        copy[valueOffset + 3] = (byte)crc;
        return copy;
    }

    /// <summary>CRC32C the slow, obvious way: reflected polynomial 0x82F63B78, init and final xor all ones.</summary>
    public static uint ReferenceCrc32c(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>One line holding everything a header says, so two results compare as strings.</summary>
    public static string Describe(ProxyHeader header)
    {
        var text = new StringBuilder()
            .Append('v').Append(header.Version).Append(' ').Append(header.Command).Append(' ').Append(header.Family)
            .Append(' ').Append(header.Source?.ToString() ?? "-").Append(" -> ").Append(header.Destination?.ToString() ?? "-");
        if (header.UnixSource is not null || header.UnixDestination is not null)
        {
            text.Append(" unix ").Append(header.UnixSource).Append(" -> ").Append(header.UnixDestination);
        }

        foreach (var tlv in header.Tlvs)
        {
            text.Append(" tlv ").Append(tlv.Type.ToString("X2")).Append('=').Append(Convert.ToHexString(tlv.Value));
        }

        if (header.Authority is not null)
        {
            text.Append(" authority=").Append(header.Authority);
        }

        if (header.Alpn is not null)
        {
            text.Append(" alpn=").Append(header.Alpn);
        }

        return text.ToString();
    }
}
