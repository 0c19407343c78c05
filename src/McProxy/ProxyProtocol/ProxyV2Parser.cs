using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace McProxy.ProxyProtocol;

/// <summary>
/// The v2 binary header: signature, version/command, family/transport, a 16-bit length, then the address block
/// and TLVs. Each field is judged as soon as it has arrived, so garbage is refused without waiting for the
/// length it claims.
/// </summary>
internal static class ProxyV2Parser
{
    public static ProxyParseResult TryParse(ReadOnlySpan<byte> data, out ProxyHeader? header)
    {
        header = null;
        var signature = ProxyV2Format.Signature;
        var arrived = Math.Min(data.Length, signature.Length);
        if (!data[..arrived].SequenceEqual(signature[..arrived]))
        {
            return ProxyParseResult.Invalid("bad signature: not a PROXY v1 or v2 header");
        }

        if (data.Length <= 12)
        {
            return ProxyParseResult.Incomplete;
        }

        if (data[12] >> 4 != 2)
        {
            return ProxyParseResult.Invalid("unsupported version nibble: expected 2");
        }

        var command = data[12] & 0x0F;
        if (command > 1)
        {
            return ProxyParseResult.Invalid("unsupported v2 command: expected LOCAL or PROXY");
        }

        if (data.Length <= 13)
        {
            return ProxyParseResult.Incomplete;
        }

        // LOCAL: the spec says to discard the block "including the family which is ignored".
        var local = command == 0;
        var family = AddressFamily.Unspecified;
        var addressLength = 0;
        if (!local)
        {
            var status = ReadFamily(data[13], out family, out addressLength, out var error);
            if (status == ProxyParseStatus.Invalid)
            {
                return ProxyParseResult.Invalid(error!);
            }
        }

        if (data.Length < ProxyV2Format.FixedLength)
        {
            return ProxyParseResult.Incomplete;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(14, 2));
        if (length > ProxyHeaderParser.MaxHeaderBytes - ProxyV2Format.FixedLength)
        {
            return ProxyParseResult.Invalid("v2 length overruns the 4096-byte header limit");
        }

        if (length < addressLength)
        {
            return ProxyParseResult.Invalid("v2 length shorter than its address family needs");
        }

        var end = ProxyV2Format.FixedLength + length;
        if (local || family == AddressFamily.Unspecified)
        {
            if (data.Length < end)
            {
                return ProxyParseResult.Incomplete;
            }

            header = local ? ProxyHeader.V2Local : ProxyHeader.V2Unspecified;
            return ProxyParseResult.Complete(end);
        }

        var tlvStart = ProxyV2Format.FixedLength + addressLength;
        var walk = WalkTlvs(data, tlvStart, end, out var tlvCount, out var checksumOffset);
        if (walk.Status != ProxyParseStatus.Complete)
        {
            return walk;
        }

        if (checksumOffset >= 0
            && BinaryPrimitives.ReadUInt32BigEndian(data.Slice(checksumOffset, 4)) != ProxyCrc32c.Compute(data[..end], checksumOffset))
        {
            return ProxyParseResult.Invalid("v2 CRC32C mismatch");
        }

        header = Build(data[..end], family, tlvCount);
        return ProxyParseResult.Complete(end);
    }

    private static ProxyParseStatus ReadFamily(byte familyTransport, out AddressFamily family, out int addressLength, out string? error)
    {
        error = null;
        (family, addressLength) = (familyTransport >> 4) switch
        {
            0 => (AddressFamily.Unspecified, 0),
            1 => (AddressFamily.InterNetwork, ProxyV2Format.InetAddressLength),
            2 => (AddressFamily.InterNetworkV6, ProxyV2Format.Inet6AddressLength),
            3 => (AddressFamily.Unix, ProxyV2Format.UnixAddressLength),
            _ => (AddressFamily.Unknown, -1),
        };
        if (addressLength < 0)
        {
            error = "unsupported v2 address family";
            return ProxyParseStatus.Invalid;
        }

        switch (familyTransport & 0x0F)
        {
            case 0:
            case 1:
                return ProxyParseStatus.Complete;
            case 2:
                error = "v2 DGRAM transport: only TCP is proxied";
                return ProxyParseStatus.Invalid;
            default:
                error = "unsupported v2 transport protocol";
                return ProxyParseStatus.Invalid;
        }
    }

    /// <summary>
    /// Checks every TLV whose 3-byte header has arrived against the declared end, so an overrun is refused
    /// before its bytes come. Complete only once all of [start, end) is here.
    /// </summary>
    private static ProxyParseResult WalkTlvs(ReadOnlySpan<byte> data, int start, int end, out int count, out int checksumOffset)
    {
        count = 0;
        checksumOffset = -1;
        var offset = start;
        while (offset < end)
        {
            if (end - offset < ProxyV2Format.TlvHeaderLength)
            {
                return ProxyParseResult.Invalid("TLV overruns header: truncated TLV");
            }

            if (data.Length < offset + ProxyV2Format.TlvHeaderLength)
            {
                return ProxyParseResult.Incomplete;
            }

            var type = data[offset];
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset + 1, 2));
            var valueOffset = offset + ProxyV2Format.TlvHeaderLength;
            if (valueLength > end - valueOffset)
            {
                return ProxyParseResult.Invalid("TLV overruns header");
            }

            if (type == ProxyV2Format.TypeCrc32c)
            {
                if (valueLength != sizeof(uint))
                {
                    return ProxyParseResult.Invalid("v2 CRC32C TLV is not 4 bytes");
                }

                if (checksumOffset < 0)
                {
                    checksumOffset = valueOffset;
                }
            }

            if (type != ProxyV2Format.TypeNoop && ++count > ProxyHeaderParser.MaxV2Tlvs)
            {
                return ProxyParseResult.Invalid("more than 32 TLVs in v2 header");
            }

            offset = valueOffset + valueLength;
        }

        return data.Length < end ? ProxyParseResult.Incomplete : ProxyParseResult.Complete(end);
    }

    /// <summary>Builds the header from bytes <see cref="WalkTlvs"/> has already validated.</summary>
    private static ProxyHeader Build(ReadOnlySpan<byte> header, AddressFamily family, int tlvCount)
    {
        var block = header[ProxyV2Format.FixedLength..];
        IPEndPoint? source = null;
        IPEndPoint? destination = null;
        string? unixSource = null;
        string? unixDestination = null;
        int addressLength;
        switch (family)
        {
            case AddressFamily.InterNetwork:
                source = new IPEndPoint(new IPAddress(block[..4]), BinaryPrimitives.ReadUInt16BigEndian(block[8..]));
                destination = new IPEndPoint(new IPAddress(block[4..8]), BinaryPrimitives.ReadUInt16BigEndian(block[10..]));
                addressLength = ProxyV2Format.InetAddressLength;
                break;
            case AddressFamily.InterNetworkV6:
                source = new IPEndPoint(new IPAddress(block[..16]), BinaryPrimitives.ReadUInt16BigEndian(block[32..]));
                destination = new IPEndPoint(new IPAddress(block[16..32]), BinaryPrimitives.ReadUInt16BigEndian(block[34..]));
                addressLength = ProxyV2Format.Inet6AddressLength;
                break;
            default:
                unixSource = UnixPath(block[..ProxyV2Format.UnixPathLength]);
                unixDestination = UnixPath(block.Slice(ProxyV2Format.UnixPathLength, ProxyV2Format.UnixPathLength));
                addressLength = ProxyV2Format.UnixAddressLength;
                break;
        }

        var tlvs = tlvCount == 0 ? [] : new ProxyTlv[tlvCount];
        var offset = addressLength;
        var kept = 0;
        while (kept < tlvs.Length)
        {
            var type = block[offset];
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(block.Slice(offset + 1, 2));
            if (type != ProxyV2Format.TypeNoop)
            {
                tlvs[kept++] = new ProxyTlv(type, block.Slice(offset + ProxyV2Format.TlvHeaderLength, valueLength).ToArray());
            }

            offset += ProxyV2Format.TlvHeaderLength + valueLength;
        }

        return new ProxyHeader(2, ProxyCommand.Proxy, family, source, destination, unixSource, unixDestination, tlvs);
    }

    /// <summary>
    /// sun_path is NUL-terminated. A leading NUL marks a Linux abstract socket, shown as "@name" as ss(8) does.
    /// </summary>
    private static string UnixPath(ReadOnlySpan<byte> path)
    {
        var isAbstract = path[0] == 0;
        var name = isAbstract ? path[1..] : path;
        var nul = name.IndexOf((byte)0);
        name = nul < 0 ? name : name[..nul];
        if (name.IsEmpty)
        {
            return "";
        }

        return isAbstract ? "@" + Encoding.UTF8.GetString(name) : Encoding.UTF8.GetString(name);
    }
}
