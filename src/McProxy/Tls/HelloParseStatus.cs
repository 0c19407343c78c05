namespace McProxy.Tls;

internal enum HelloParseStatus
{
    /// <summary>The bytes so far are a valid prefix of a ClientHello; read more.</summary>
    Incomplete,

    /// <summary>A whole ClientHello was parsed.</summary>
    Complete,

    /// <summary>Not a ClientHello we accept; the error says why.</summary>
    Invalid,
}
