using System.Net.Security;

namespace McProxy.Http.Tls;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers while it is idle. By default OpenSSL keeps a read and a
/// write buffer of about 17 KiB each for the life of every connection, which is most of what an idle L7 connection
/// costs; with <c>SSL_MODE_RELEASE_BUFFERS</c> (as HAProxy and nginx set) it takes them only while a record is
/// being read or written. .NET's <see cref="SslStream"/> on Linux does not set the mode, so it is set with
/// <c>SSL_ctrl</c> through <see cref="LibSsl"/>. Where that is not possible the connection simply keeps its
/// buffers, as before: <see cref="Available"/> says which.
/// </summary>
internal static class TlsIdleBuffers
{
    // From OpenSSL's ssl.h: SSL_set_mode(ssl, mode) is SSL_ctrl(ssl, SSL_CTRL_MODE, mode, NULL).
    private const int SslCtrlMode = 33;
    private const nint SslModeReleaseBuffers = 0x10;

    /// <summary>Whether this process can set the mode (Linux, the runtime's OpenSSL layout as expected).</summary>
    public static bool Available => LibSsl.Available;

    /// <summary>
    /// Sets <c>SSL_MODE_RELEASE_BUFFERS</c> on <paramref name="stream"/>'s OpenSSL connection. Call it between the
    /// handshake and the first read or write: nothing else may use the handle meanwhile. Returns false where the mode
    /// could not be set.
    /// </summary>
    public static bool TryRelease(SslStream stream)
        => LibSsl.SslCtrl is { } ctrl
            && LibSsl.TryCall(stream, ssl => ctrl(ssl, SslCtrlMode, SslModeReleaseBuffers, 0), out var mode)
            && (mode & SslModeReleaseBuffers) != 0;
}
