using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace McProxy.ProxyProtocol;

/// <summary>
/// Writes the v2 header an L4 route sends its backend: command PROXY, transport STREAM, the client's address,
/// and TLVs for the SNI (PP2_TYPE_AUTHORITY) and ALPN (PP2_TYPE_ALPN). Allocation-free.
/// </summary>
internal static class ProxyHeaderWriter
{
    /// <summary>
    /// 255: the longest TLV value written. A DNS name is at most 255 bytes and so is an ALPN protocol id
    /// (RFC 7301), but the SNI comes from the client unvetted when a default route caught it: a longer value is
    /// left out rather than passed on.
    /// </summary>
    public const int MaxTlvValueLength = 255;

    /// <summary>The most <see cref="WriteV2"/> ever writes: a stack buffer of this size always fits.</summary>
    public const int MaxWrittenLength = ProxyV2Format.FixedLength + ProxyV2Format.Inet6AddressLength + (2 * (ProxyV2Format.TlvHeaderLength + MaxTlvValueLength));

    /// <summary>
    /// Writes the header into <paramref name="destination"/> and returns its length. Both endpoints IPv4 (or
    /// IPv4-mapped IPv6, as a dual-stack socket reports IPv4 peers): AF_INET; otherwise AF_INET6, IPv4 mapped.
    /// A null or empty <paramref name="authority"/> or <paramref name="alpn"/>, or one over
    /// <see cref="MaxTlvValueLength"/> bytes of UTF-8, is left out.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="GetV2Length"/>.</exception>
    public static int WriteV2(Span<byte> destination, IPEndPoint source, IPEndPoint destinationAddress, string? authority, string? alpn)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destinationAddress);
        var length = GetV2Length(source, destinationAddress, authority, alpn);
        if (destination.Length < length)
        {
            throw new ArgumentException($"needs {length} bytes, got {destination.Length}", nameof(destination));
        }

        ProxyV2Format.Signature.CopyTo(destination);
        destination[12] = ProxyV2Format.VersionCommandProxy;
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], (ushort)(length - ProxyV2Format.FixedLength));
        var block = destination[ProxyV2Format.FixedLength..];
        int offset;
        if (IsIPv4(source.Address) && IsIPv4(destinationAddress.Address))
        {
            destination[13] = ProxyV2Format.InetStream;
            WriteIPv4(source.Address, block[..4]);
            WriteIPv4(destinationAddress.Address, block[4..8]);
            BinaryPrimitives.WriteUInt16BigEndian(block[8..], (ushort)source.Port);
            BinaryPrimitives.WriteUInt16BigEndian(block[10..], (ushort)destinationAddress.Port);
            offset = ProxyV2Format.InetAddressLength;
        }
        else
        {
            destination[13] = ProxyV2Format.Inet6Stream;
            WriteIPv6(source.Address, block[..16]);
            WriteIPv6(destinationAddress.Address, block[16..32]);
            BinaryPrimitives.WriteUInt16BigEndian(block[32..], (ushort)source.Port);
            BinaryPrimitives.WriteUInt16BigEndian(block[34..], (ushort)destinationAddress.Port);
            offset = ProxyV2Format.Inet6AddressLength;
        }

        // Type order, as HAProxy writes them.
        offset += WriteTlv(block[offset..], ProxyV2Format.TypeAlpn, alpn);
        offset += WriteTlv(block[offset..], ProxyV2Format.TypeAuthority, authority);
        return ProxyV2Format.FixedLength + offset;
    }

    /// <summary>The length <see cref="WriteV2"/> will write for these arguments; never above <see cref="MaxWrittenLength"/>.</summary>
    public static int GetV2Length(IPEndPoint source, IPEndPoint destinationAddress, string? authority, string? alpn)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destinationAddress);
        var addressLength = IsIPv4(source.Address) && IsIPv4(destinationAddress.Address)
            ? ProxyV2Format.InetAddressLength
            : ProxyV2Format.Inet6AddressLength;
        return ProxyV2Format.FixedLength + addressLength + TlvLength(alpn) + TlvLength(authority);
    }

    private static bool IsIPv4(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6;

    private static void WriteIPv4(IPAddress address, Span<byte> destination)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(destination, out _);
            return;
        }

        // IPv4-mapped IPv6: the IPv4 address is the last four bytes.
        Span<byte> mapped = stackalloc byte[16];
        address.TryWriteBytes(mapped, out _);
        mapped[12..].CopyTo(destination);
    }

    private static void WriteIPv6(IPAddress address, Span<byte> destination)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // The scope id of a link-local address has no place in the header and is dropped.
            address.TryWriteBytes(destination, out _);
            return;
        }

        destination[..10].Clear();
        destination[10] = 0xFF;
        destination[11] = 0xFF;
        address.TryWriteBytes(destination[12..], out _);
    }

    private static int TlvLength(string? value)
    {
        var valueLength = TlvValueLength(value);
        return valueLength < 0 ? 0 : ProxyV2Format.TlvHeaderLength + valueLength;
    }

    /// <summary>The UTF-8 length of the value to write, or -1 when it is left out.</summary>
    private static int TlvValueLength(string? value)
    {
        // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is refused without counting.
        if (string.IsNullOrEmpty(value) || value.Length > MaxTlvValueLength)
        {
            return -1;
        }

        var byteCount = Encoding.UTF8.GetByteCount(value);
        return byteCount > MaxTlvValueLength ? -1 : byteCount;
    }

    private static int WriteTlv(Span<byte> destination, byte type, string? value)
    {
        var valueLength = TlvValueLength(value);
        if (valueLength < 0)
        {
            return 0;
        }

        destination[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)valueLength);
        Encoding.UTF8.GetBytes(value, destination.Slice(ProxyV2Format.TlvHeaderLength, valueLength));
        return ProxyV2Format.TlvHeaderLength + valueLength;
    }
}
