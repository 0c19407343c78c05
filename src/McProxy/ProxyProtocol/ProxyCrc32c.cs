using System.Numerics;

namespace McProxy.ProxyProtocol;

/// <summary>
/// CRC32C (Castagnoli) as PP2_TYPE_CRC32C uses it: over the whole header with the checksum's own four bytes
/// taken as zero. <see cref="BitOperations.Crc32C(uint, byte)"/> uses the CPU's instruction where there is one.
/// </summary>
internal static class ProxyCrc32c
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>The checksum of <paramref name="header"/> with bytes [checksumOffset, checksumOffset + 4) read as zero.</summary>
    public static uint Compute(ReadOnlySpan<byte> header, int checksumOffset)
    {
        var crc = Append(uint.MaxValue, header[..checksumOffset]);
        crc = BitOperations.Crc32C(crc, 0u);
        crc = Append(crc, header[(checksumOffset + sizeof(uint))..]);
        return ~crc;
    }

    private static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
