using System.Security.Authentication;

namespace McProxy.Config;

/// <summary>
/// The [tls] section: how L7 routes and the admin API's TCP endpoint terminate TLS. The cipher suites are not
/// configurable: TLS 1.2 offers ECDHE with AES-GCM and CHACHA20-POLY1305 only (see <c>Http/Tls/TlsPolicy</c>).
/// </summary>
internal sealed record TlsConfig
{
    /// <summary>The oldest version offered: TLS 1.2 (the default, for older clients) or TLS 1.3.</summary>
    public SslProtocols MinVersion { get; init; } = SslProtocols.Tls12;

    /// <summary>Whether clients may resume sessions (session tickets); off, every connection does a full handshake.</summary>
    public bool SessionTickets { get; init; } = true;

    /// <summary>The versions offered: from <see cref="MinVersion"/> up to TLS 1.3.</summary>
    public SslProtocols EnabledProtocols => MinVersion == SslProtocols.Tls13 ? SslProtocols.Tls13 : SslProtocols.Tls12 | SslProtocols.Tls13;
}
