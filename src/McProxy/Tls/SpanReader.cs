using System.Buffers.Binary;

namespace McProxy.Tls;

/// <summary>Bounds-checked big-endian reads over a span; every read reports failure instead of throwing.</summary>
internal ref struct SpanReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _data = data;

    public readonly int Remaining => _data.Length;

    public bool TryReadUInt8(out byte value)
    {
        if (_data.IsEmpty)
        {
            value = 0;
            return false;
        }

        value = _data[0];
        _data = _data[1..];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (!BinaryPrimitives.TryReadUInt16BigEndian(_data, out value))
        {
            return false;
        }

        _data = _data[2..];
        return true;
    }

    public bool TrySkip(int count)
    {
        if (_data.Length < count)
        {
            return false;
        }

        _data = _data[count..];
        return true;
    }

    /// <summary>Reads a vector with a one-byte length prefix.</summary>
    public bool TryReadVector8(out ReadOnlySpan<byte> vector)
    {
        vector = default;
        return TryReadUInt8(out var length) && TryTake(length, out vector);
    }

    /// <summary>Reads a vector with a two-byte length prefix.</summary>
    public bool TryReadVector16(out ReadOnlySpan<byte> vector)
    {
        vector = default;
        return TryReadUInt16(out var length) && TryTake(length, out vector);
    }

    private bool TryTake(int length, out ReadOnlySpan<byte> vector)
    {
        if (_data.Length < length)
        {
            vector = default;
            return false;
        }

        vector = _data[..length];
        _data = _data[length..];
        return true;
    }
}
