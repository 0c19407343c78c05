namespace McProxy.ProxyProtocol;

/// <summary>One type-length-value entry of a v2 header, kept as raw bytes (types: <see cref="ProxyV2Format"/>).</summary>
internal readonly record struct ProxyTlv(byte Type, byte[] Value);
