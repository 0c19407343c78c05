using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace McProxy.Firewall;

/// <summary>Addresses as integers, so matching is a hash lookup rather than byte-array comparison.</summary>
internal static class IpKey
{
    /// <summary>The IPv4 address as a big-endian integer; false for IPv6 (an IPv4-mapped IPv6 address counts as IPv4).</summary>
    public static bool TryGetIPv4(IPAddress address, out uint value)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address.TryWriteBytes(bytes, out _);
            value = BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]);
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>The IPv6 address as a big-endian 128-bit integer; the scope id is not part of it.</summary>
    public static UInt128 GetIPv6(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>One key for both families: an IPv4 address as its IPv4-mapped IPv6 form.</summary>
    public static UInt128 Get(IPAddress address)
        => TryGetIPv4(address, out var v4) ? ((UInt128)0xFFFF << 32) | v4 : GetIPv6(address);

    public static uint MaskIPv4(uint value, int prefix) => prefix == 0 ? 0 : value & (uint.MaxValue << (32 - prefix));

    public static UInt128 MaskIPv6(UInt128 value, int prefix) => prefix == 0 ? 0 : value & (UInt128.MaxValue << (128 - prefix));
}
