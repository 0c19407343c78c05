namespace McProxy.ProxyProtocol;

/// <summary>
/// Strict parsers for the text fields of a v1 line, over ASCII bytes, allocation-free. Each takes
/// <c>whole</c>: true when the token is known to be complete (a space or the line end followed it), false when
/// the bytes ran out inside it. A partial token is Incomplete if some continuation would be valid, else Invalid;
/// a whole token is Complete or Invalid. IPAddress.TryParse is not used: it accepts "1", "0x7f.1", scope ids
/// and brackets, none of which a PROXY line may carry.
/// </summary>
internal static class ProxyAddressText
{
    /// <summary>A dotted quad, four decimal octets of 0-255 without leading zeros (ambiguous with octal).</summary>
    public static ProxyParseStatus ParseIPv4(ReadOnlySpan<byte> text, bool whole, Span<byte> address)
    {
        var i = 0;
        for (var octet = 0; octet < 4; octet++)
        {
            var start = i;
            var value = 0;
            while (i < text.Length && IsDigit(text[i]))
            {
                if (i > start && text[start] == '0')
                {
                    return ProxyParseStatus.Invalid;
                }

                value = (value * 10) + (text[i] - '0');
                if (value > 255)
                {
                    return ProxyParseStatus.Invalid;
                }

                i++;
            }

            if (i == text.Length)
            {
                if (!whole)
                {
                    return ProxyParseStatus.Incomplete;
                }

                if (i == start || octet != 3)
                {
                    return ProxyParseStatus.Invalid;
                }

                address[octet] = (byte)value;
                return ProxyParseStatus.Complete;
            }

            if (text[i] != '.' || i == start || octet == 3)
            {
                return ProxyParseStatus.Invalid;
            }

            address[octet] = (byte)value;
            i++;
        }

        return ProxyParseStatus.Invalid;
    }

    /// <summary>
    /// RFC 4291 text: eight groups of 1-4 hex digits, at most one "::" standing for at least one zero group,
    /// optionally ending in a dotted quad for the last two groups. Writes 16 bytes.
    /// </summary>
    public static ProxyParseStatus ParseIPv6(ReadOnlySpan<byte> text, bool whole, Span<byte> address)
    {
        var words = 0;
        var gap = -1;
        var afterGap = false;
        var i = 0;
        if (text.Length > 0 && text[0] == ':')
        {
            if (text.Length == 1)
            {
                return whole ? ProxyParseStatus.Invalid : ProxyParseStatus.Incomplete;
            }

            if (text[1] != ':')
            {
                return ProxyParseStatus.Invalid;
            }

            gap = 0;
            afterGap = true;
            i = 2;
        }

        while (true)
        {
            // Explicit groups must leave the gap at least one group to stand for.
            var limit = gap < 0 ? 8 : 7;
            var start = i;
            var value = 0;
            int digit;
            while (i < text.Length && (digit = HexValue(text[i])) >= 0)
            {
                if (i - start == 4)
                {
                    return ProxyParseStatus.Invalid;
                }

                value = (value << 4) | digit;
                i++;
            }

            if (i < text.Length && text[i] == '.')
            {
                if (words + 2 > limit)
                {
                    return ProxyParseStatus.Invalid;
                }

                var status = ParseIPv4(text[start..], whole, address.Slice(words * 2, 4));
                return status == ProxyParseStatus.Complete ? Finish(words + 2, gap, address) : status;
            }

            if (i == start)
            {
                // No group where one should be: only the end of the text may follow "::", "x:" or nothing.
                if (i < text.Length)
                {
                    return ProxyParseStatus.Invalid;
                }

                if (!whole)
                {
                    return ProxyParseStatus.Incomplete;
                }

                return afterGap ? Finish(words, gap, address) : ProxyParseStatus.Invalid;
            }

            if (words == limit)
            {
                return ProxyParseStatus.Invalid;
            }

            address[words * 2] = (byte)(value >> 8);
            address[(words * 2) + 1] = (byte)value;
            words++;
            afterGap = false;
            if (i == text.Length)
            {
                return whole ? Finish(words, gap, address) : ProxyParseStatus.Incomplete;
            }

            if (text[i] != ':')
            {
                return ProxyParseStatus.Invalid;
            }

            i++;
            if (i < text.Length && text[i] == ':')
            {
                if (gap >= 0 || words > 7)
                {
                    return ProxyParseStatus.Invalid;
                }

                gap = words;
                afterGap = true;
                i++;
            }
            else if (words >= limit)
            {
                // Neither another group nor "::" can follow a full set of groups.
                return ProxyParseStatus.Invalid;
            }
        }
    }

    /// <summary>A decimal port 0-65535, no sign, no leading zeros.</summary>
    public static ProxyParseStatus ParsePort(ReadOnlySpan<byte> text, bool whole, out int port)
    {
        port = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsDigit(text[i]) || (i > 0 && text[0] == '0'))
            {
                return ProxyParseStatus.Invalid;
            }

            port = (port * 10) + (text[i] - '0');
            if (port > 65535)
            {
                return ProxyParseStatus.Invalid;
            }
        }

        if (!whole)
        {
            return ProxyParseStatus.Incomplete;
        }

        return text.Length > 0 ? ProxyParseStatus.Complete : ProxyParseStatus.Invalid;
    }

    private static ProxyParseStatus Finish(int words, int gap, Span<byte> address)
    {
        if (gap < 0)
        {
            return words == 8 ? ProxyParseStatus.Complete : ProxyParseStatus.Invalid;
        }

        // Move the groups written after "::" to the end and zero what the gap stands for.
        var tailLength = (words - gap) * 2;
        address.Slice(gap * 2, tailLength).CopyTo(address[(16 - tailLength)..]);
        address.Slice(gap * 2, 16 - (words * 2)).Clear();
        return ProxyParseStatus.Complete;
    }

    private static bool IsDigit(byte c) => c is >= (byte)'0' and <= (byte)'9';

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
