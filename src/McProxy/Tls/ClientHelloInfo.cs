namespace McProxy.Tls;

/// <summary>What routing and logging need from a ClientHello.</summary>
/// <param name="ServerName">The SNI host name, lower case without a trailing dot; null when the client sent none.</param>
/// <param name="Alpn">
/// The protocols the client offered, in its order, up to the first <see cref="ClientHelloParser.MaxAlpnKept"/>; empty
/// when it sent no ALPN.
/// </param>
/// <param name="HandshakeLength">Length of the handshake message body (the ClientHello proper).</param>
internal readonly record struct ClientHelloInfo(string? ServerName, string[] Alpn, int HandshakeLength);
