using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using McProxy.Net;

namespace McProxy.Tls;

/// <summary>
/// Parses a TLS ClientHello from the bytes a client has sent so far, without consuming them: L4 routes replay
/// every byte to the backend. Call again with more bytes while the result is <see cref="HelloParseStatus.Incomplete"/>.
/// The message may span several TLS records (RFC 8446 §5.1); each record and the message are bounded by 16 KiB.
/// Bad input yields <see cref="HelloParseStatus.Invalid"/> with a reason, never an exception.
/// </summary>
internal static class ClientHelloParser
{
    /// <summary>Largest handshake message accepted: 2^14, the plaintext record limit. Real ClientHellos are under 2 KiB.</summary>
    public const int MaxHandshakeLength = 16384;

    private const int RecordHeaderLength = 5;
    private const int HandshakeHeaderLength = 4;
    private const byte ContentTypeHandshake = 22;
    private const byte HandshakeTypeClientHello = 1;
    private const ushort ExtensionServerName = 0;
    private const ushort ExtensionAlpn = 16;

    /// <summary>
    /// ALPN protocols kept for the logs and the PROXY v2 TLV. RFC 7301 sets no cap on the list and HAProxy routes
    /// any length, so a longer list is accepted (each entry checked) and the rest left out: the 16 KiB message
    /// limit bounds the walk, and nothing is allocated for the entries past these.
    /// </summary>
    public const int MaxAlpnKept = 16;

    /// <summary>
    /// The ALPN lists nearly every client sends, shared so that parsing them allocates nothing. Callers treat
    /// <see cref="ClientHelloInfo.Alpn"/> as read-only.
    /// </summary>
    private static readonly string[][] CommonAlpnLists = [["h2", "http/1.1"], ["http/1.1"], ["h2"], ["acme-tls/1"]];

    public static HelloParseResult TryParse(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return HelloParseResult.Incomplete;
        }

        if (data[0] != ContentTypeHandshake)
        {
            // An SSLv2-compatible hello starts with a 2-byte length whose top bit is set, then message type 1.
            return (data[0] & 0x80) != 0 && (data.Length < 3 || data[2] == 1)
                ? HelloParseResult.Invalid("SSLv2-compatible ClientHello is not supported")
                : HelloParseResult.Invalid($"not a TLS handshake record (first byte 0x{data[0]:x2})");
        }

        // Walk the records, counting the handshake bytes they carry, until the whole message is present.
        var offset = 0;
        var fragments = 0;
        var available = 0;
        var messageLength = -1;
        Span<byte> header = stackalloc byte[HandshakeHeaderLength];
        while (true)
        {
            if (data.Length - offset < RecordHeaderLength)
            {
                return CheckPartialRecordHeader(data[offset..]);
            }

            var record = data.Slice(offset, RecordHeaderLength);
            if (record[0] != ContentTypeHandshake)
            {
                return HelloParseResult.Invalid($"record of content type {record[0]} inside the ClientHello");
            }

            if (record[1] != 3)
            {
                return HelloParseResult.Invalid($"record version {record[1]}.{record[2]} is not TLS");
            }

            int recordLength = BinaryPrimitives.ReadUInt16BigEndian(record[3..]);
            if (recordLength == 0 || recordLength > MaxHandshakeLength)
            {
                return HelloParseResult.Invalid($"TLS record length {recordLength} is out of range");
            }

            var body = data.Slice(offset + RecordHeaderLength, Math.Min(recordLength, data.Length - offset - RecordHeaderLength));
            for (var i = 0; i < body.Length && available + i < HandshakeHeaderLength; i++)
            {
                header[available + i] = body[i];
            }

            available += body.Length;
            fragments++;
            if (messageLength < 0 && available >= HandshakeHeaderLength)
            {
                if (header[0] != HandshakeTypeClientHello)
                {
                    return HelloParseResult.Invalid($"handshake message type {header[0]} is not ClientHello");
                }

                messageLength = (header[1] << 16) | (header[2] << 8) | header[3];
                if (messageLength > MaxHandshakeLength)
                {
                    return HelloParseResult.Invalid($"ClientHello of {messageLength} bytes exceeds the {MaxHandshakeLength}-byte limit");
                }

                if (messageLength == 0)
                {
                    return HelloParseResult.Invalid("empty ClientHello");
                }
            }

            if (messageLength >= 0 && available >= HandshakeHeaderLength + messageLength)
            {
                return fragments == 1
                    ? ParseMessage(body.Slice(HandshakeHeaderLength, messageLength))
                    : ParseFragmented(data, messageLength);
            }

            if (body.Length < recordLength)
            {
                return HelloParseResult.Incomplete;
            }

            offset += RecordHeaderLength + recordLength;
        }
    }

    private static HelloParseResult CheckPartialRecordHeader(ReadOnlySpan<byte> partial)
    {
        if (partial.Length >= 1 && partial[0] != ContentTypeHandshake)
        {
            return HelloParseResult.Invalid($"record of content type {partial[0]} inside the ClientHello");
        }

        if (partial.Length >= 2 && partial[1] != 3)
        {
            return HelloParseResult.Invalid($"record version {partial[1]} is not TLS");
        }

        return HelloParseResult.Incomplete;
    }

    /// <summary>Joins the message's fragments from consecutive records; only rare clients split a ClientHello.</summary>
    private static HelloParseResult ParseFragmented(ReadOnlySpan<byte> data, int messageLength)
    {
        var total = HandshakeHeaderLength + messageLength;
        var rented = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var copied = 0;
            var offset = 0;
            while (copied < total)
            {
                int recordLength = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 3)..]);
                var take = Math.Min(Math.Min(recordLength, data.Length - offset - RecordHeaderLength), total - copied);
                data.Slice(offset + RecordHeaderLength, take).CopyTo(rented.AsSpan(copied));
                copied += take;
                offset += RecordHeaderLength + recordLength;
            }

            return ParseMessage(rented.AsSpan(HandshakeHeaderLength, messageLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Parses the ClientHello body (RFC 8446 §4.1.2), extracting SNI (RFC 6066 §3) and ALPN (RFC 7301).</summary>
    private static HelloParseResult ParseMessage(ReadOnlySpan<byte> message)
    {
        var reader = new SpanReader(message);
        if (!reader.TryReadUInt16(out var legacyVersion) || (legacyVersion >> 8) != 3)
        {
            return HelloParseResult.Invalid("ClientHello version is not TLS");
        }

        if (!reader.TrySkip(32))
        {
            return HelloParseResult.Invalid("ClientHello truncated in random");
        }

        if (!reader.TryReadVector8(out var sessionId) || sessionId.Length > 32)
        {
            return HelloParseResult.Invalid("ClientHello session id is malformed");
        }

        if (!reader.TryReadVector16(out var cipherSuites) || cipherSuites.Length < 2 || cipherSuites.Length % 2 != 0)
        {
            return HelloParseResult.Invalid("ClientHello cipher suites are malformed");
        }

        if (!reader.TryReadVector8(out var compression) || compression.Length < 1)
        {
            return HelloParseResult.Invalid("ClientHello compression methods are malformed");
        }

        string? serverName = null;
        var alpn = Array.Empty<string>();
        if (reader.Remaining == 0)
        {
            // A pre-TLS 1.2 client may send no extensions at all: valid, but without SNI.
            return new HelloParseResult(HelloParseStatus.Complete, new ClientHelloInfo(null, alpn, message.Length), null);
        }

        if (!reader.TryReadVector16(out var extensions) || reader.Remaining != 0)
        {
            return HelloParseResult.Invalid("ClientHello extensions length does not match the message");
        }

        var seenServerName = false;
        var seenAlpn = false;
        var extReader = new SpanReader(extensions);
        while (extReader.Remaining > 0)
        {
            if (!extReader.TryReadUInt16(out var type) || !extReader.TryReadVector16(out var extension))
            {
                return HelloParseResult.Invalid("ClientHello extension overruns the extensions block");
            }

            if (type == ExtensionServerName)
            {
                if (seenServerName)
                {
                    return HelloParseResult.Invalid("duplicate server_name extension");
                }

                seenServerName = true;
                var error = ParseServerName(extension, out serverName);
                if (error is not null)
                {
                    return HelloParseResult.Invalid(error);
                }
            }
            else if (type == ExtensionAlpn)
            {
                if (seenAlpn)
                {
                    return HelloParseResult.Invalid("duplicate ALPN extension");
                }

                seenAlpn = true;
                var error = ParseAlpn(extension, out alpn);
                if (error is not null)
                {
                    return HelloParseResult.Invalid(error);
                }
            }
        }

        return new HelloParseResult(HelloParseStatus.Complete, new ClientHelloInfo(serverName, alpn, message.Length), null);
    }

    private static string? ParseServerName(ReadOnlySpan<byte> extension, out string? serverName)
    {
        serverName = null;
        var reader = new SpanReader(extension);
        if (!reader.TryReadVector16(out var list) || reader.Remaining != 0 || list.IsEmpty)
        {
            return "server_name extension is malformed";
        }

        var listReader = new SpanReader(list);
        while (listReader.Remaining > 0)
        {
            if (!listReader.TryReadUInt8(out var nameType) || !listReader.TryReadVector16(out var name))
            {
                return "server_name list overruns its extension";
            }

            if (nameType != 0)
            {
                continue;
            }

            if (serverName is not null)
            {
                return "more than one host_name in server_name";
            }

            if (!TryDecodeHostName(name, out serverName))
            {
                return "server_name is not a valid host name";
            }
        }

        return null;
    }

    /// <summary>Accepts letters, digits, '-', '_' and '.', 1–253 characters after an optional trailing dot; lower-cases.</summary>
    private static bool TryDecodeHostName(ReadOnlySpan<byte> name, out string? hostName)
    {
        hostName = null;
        if (name.Length > 0 && name[^1] == (byte)'.')
        {
            name = name[..^1];
        }

        if (name.IsEmpty || name.Length > Hostnames.MaxLength)
        {
            return false;
        }

        Span<char> chars = stackalloc char[name.Length];
        for (var i = 0; i < name.Length; i++)
        {
            var c = (char)name[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }

            chars[i] = char.ToLowerInvariant(c);
        }

        if (!Hostnames.IsValidDnsName(chars))
        {
            return false;
        }

        hostName = ServerNameCache.Shared.Get(chars);
        return true;
    }

    private static string? ParseAlpn(ReadOnlySpan<byte> extension, out string[] protocols)
    {
        protocols = [];
        var reader = new SpanReader(extension);
        if (!reader.TryReadVector16(out var list) || reader.Remaining != 0 || list.IsEmpty)
        {
            return "ALPN extension is malformed";
        }

        var count = 0;
        var counter = new SpanReader(list);
        while (counter.Remaining > 0)
        {
            if (!counter.TryReadVector8(out var protocol) || protocol.IsEmpty)
            {
                return "ALPN protocol list is malformed";
            }

            count++;
        }

        if (CommonList(list, count) is { } common)
        {
            protocols = common;
            return null;
        }

        protocols = new string[Math.Min(count, MaxAlpnKept)];
        var listReader = new SpanReader(list);
        for (var i = 0; i < protocols.Length; i++)
        {
            listReader.TryReadVector8(out var protocol);
            protocols[i] = Encoding.Latin1.GetString(protocol);
        }

        return null;
    }

    /// <summary>The shared array equal to the wire list of <paramref name="count"/> protocols, if it is a common one.</summary>
    private static string[]? CommonList(ReadOnlySpan<byte> list, int count)
    {
        foreach (var common in CommonAlpnLists)
        {
            if (common.Length != count)
            {
                continue;
            }

            var reader = new SpanReader(list);
            var equal = true;
            foreach (var expected in common)
            {
                reader.TryReadVector8(out var protocol);
                if (!IsAscii(protocol, expected))
                {
                    equal = false;
                    break;
                }
            }

            if (equal)
            {
                return common;
            }
        }

        return null;
    }

    private static bool IsAscii(ReadOnlySpan<byte> bytes, string text)
    {
        if (bytes.Length != text.Length)
        {
            return false;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }
}
