using System.Net;
using System.Net.Sockets;

namespace McProxy.ProxyProtocol;

/// <summary>
/// The v1 text line: "PROXY TCP4|TCP6 src dst sport dport\r\n" with single spaces, or "PROXY UNKNOWN" followed
/// by anything up to the CRLF. The whole line, CRLF included, is at most 107 bytes.
/// </summary>
internal static class ProxyV1Parser
{
    private static ReadOnlySpan<byte> Preamble => "PROXY "u8;

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    public static ProxyParseResult TryParse(ReadOnlySpan<byte> data, out ProxyHeader? header)
    {
        header = null;
        var arrived = Math.Min(data.Length, Preamble.Length);
        if (!data[..arrived].SequenceEqual(Preamble[..arrived]))
        {
            return ProxyParseResult.Invalid("bad signature: not a PROXY v1 or v2 header");
        }

        // The CRLF must end within the first 107 bytes; later bytes belong to the TLS stream.
        var lineEnd = data[..Math.Min(data.Length, ProxyHeaderParser.MaxV1Length)].IndexOf(Crlf);
        ReadOnlySpan<byte> line;
        var whole = true;
        var awaitingLf = false;
        if (lineEnd >= 0)
        {
            line = data[..lineEnd];
        }
        else if (data.Length >= ProxyHeaderParser.MaxV1Length)
        {
            return ProxyParseResult.Invalid("v1 header longer than 107 bytes");
        }
        else if (data[^1] == '\r')
        {
            // The line is over, only its LF has not arrived: judge the line as complete.
            line = data[..^1];
            awaitingLf = true;
        }
        else
        {
            line = data;
            whole = false;
        }

        if (line.Length < Preamble.Length)
        {
            return ProxyParseResult.Incomplete;
        }

        var status = ParseLine(line[Preamble.Length..], whole, out header, out var error);
        if (status == ProxyParseStatus.Invalid)
        {
            return ProxyParseResult.Invalid(error!);
        }

        if (status == ProxyParseStatus.Incomplete || awaitingLf)
        {
            header = null;
            return ProxyParseResult.Incomplete;
        }

        return ProxyParseResult.Complete(lineEnd + Crlf.Length);
    }

    private static ProxyParseStatus ParseLine(ReadOnlySpan<byte> rest, bool whole, out ProxyHeader? header, out string? error)
    {
        header = null;
        error = null;
        var spaced = TakeToken(ref rest, out var protocol);
        if (!spaced && !whole)
        {
            if ("TCP4"u8.StartsWith(protocol) || "TCP6"u8.StartsWith(protocol) || "UNKNOWN"u8.StartsWith(protocol))
            {
                return ProxyParseStatus.Incomplete;
            }

            error = "bad v1 protocol: expected TCP4, TCP6 or UNKNOWN";
            return ProxyParseStatus.Invalid;
        }

        if (protocol.SequenceEqual("UNKNOWN"u8))
        {
            // The spec says to ignore whatever follows UNKNOWN up to the CRLF.
            header = whole ? ProxyHeader.V1Unknown : null;
            return whole ? ProxyParseStatus.Complete : ProxyParseStatus.Incomplete;
        }

        bool v6;
        if (protocol.SequenceEqual("TCP4"u8))
        {
            v6 = false;
        }
        else if (protocol.SequenceEqual("TCP6"u8))
        {
            v6 = true;
        }
        else
        {
            error = "bad v1 protocol: expected TCP4, TCP6 or UNKNOWN";
            return ProxyParseStatus.Invalid;
        }

        Span<byte> sourceBytes = stackalloc byte[16];
        Span<byte> destinationBytes = stackalloc byte[16];

        if (!spaced)
        {
            error = "v1 header ends before the source address";
            return ProxyParseStatus.Invalid;
        }

        spaced = TakeToken(ref rest, out var token);
        var status = ParseAddress(token, v6, spaced || whole, sourceBytes);
        if (status != ProxyParseStatus.Complete)
        {
            error = v6 ? "bad source address: TCP6 needs an IPv6 address" : "bad source address: TCP4 needs an IPv4 dotted quad";
            return status;
        }

        if (!spaced)
        {
            error = "v1 header ends before the destination address";
            return ProxyParseStatus.Invalid;
        }

        spaced = TakeToken(ref rest, out token);
        status = ParseAddress(token, v6, spaced || whole, destinationBytes);
        if (status != ProxyParseStatus.Complete)
        {
            error = v6 ? "bad destination address: TCP6 needs an IPv6 address" : "bad destination address: TCP4 needs an IPv4 dotted quad";
            return status;
        }

        if (!spaced)
        {
            error = "v1 header ends before the source port";
            return ProxyParseStatus.Invalid;
        }

        spaced = TakeToken(ref rest, out token);
        status = ProxyAddressText.ParsePort(token, spaced || whole, out var sourcePort);
        if (status != ProxyParseStatus.Complete)
        {
            error = "bad source port: expected 0-65535";
            return status;
        }

        if (!spaced)
        {
            error = "v1 header ends before the destination port";
            return ProxyParseStatus.Invalid;
        }

        spaced = TakeToken(ref rest, out token);
        status = ProxyAddressText.ParsePort(token, spaced || whole, out var destinationPort);
        if (status != ProxyParseStatus.Complete)
        {
            error = "bad destination port: expected 0-65535";
            return status;
        }

        if (spaced)
        {
            error = "v1 header has data after the destination port";
            return ProxyParseStatus.Invalid;
        }

        var length = v6 ? 16 : 4;
        header = new ProxyHeader(
            1,
            ProxyCommand.Proxy,
            v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork,
            new IPEndPoint(new IPAddress(sourceBytes[..length]), sourcePort),
            new IPEndPoint(new IPAddress(destinationBytes[..length]), destinationPort));
        return ProxyParseStatus.Complete;
    }

    private static ProxyParseStatus ParseAddress(ReadOnlySpan<byte> token, bool v6, bool whole, Span<byte> address) =>
        v6 ? ProxyAddressText.ParseIPv6(token, whole, address) : ProxyAddressText.ParseIPv4(token, whole, address);

    /// <summary>Splits off the text up to the next space; true when a space ended it, false when the line did.</summary>
    private static bool TakeToken(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> token)
    {
        var space = rest.IndexOf((byte)' ');
        if (space < 0)
        {
            token = rest;
            rest = default;
            return false;
        }

        token = rest[..space];
        rest = rest[(space + 1)..];
        return true;
    }
}
