using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace McProxy.Http.Tls;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers while it is idle. By default OpenSSL keeps a read and a
/// write buffer of about 17 KiB each for the life of every connection, which is most of what an idle L7 connection
/// costs; with <c>SSL_MODE_RELEASE_BUFFERS</c> (as HAProxy and nginx set) it takes them only while a record is
/// being read or written. .NET's <see cref="SslStream"/> on Linux neither sets the mode nor exposes its OpenSSL
/// handle, so the handle is read through the stream's private state and the mode set with <c>SSL_ctrl</c> from the
/// same libssl the runtime loaded. Where that is not possible (another platform or runtime layout, no libssl), the
/// connection simply keeps its buffers, as before: <see cref="Available"/> says which.
/// </summary>
internal static class TlsIdleBuffers
{
    // From OpenSSL's ssl.h: SSL_set_mode(ssl, mode) is SSL_ctrl(ssl, SSL_CTRL_MODE, mode, NULL).
    private const int SslCtrlMode = 33;
    private const nint SslModeReleaseBuffers = 0x10;

    private static readonly FieldInfo? SecurityContextField =
        typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);

    private static readonly SslCtrl? Ctrl = LoadSslCtrl();

    private delegate nint SslCtrl(nint ssl, int command, nint larg, nint parg);

    /// <summary>Whether this process can set the mode (Linux, the runtime's OpenSSL layout as expected).</summary>
    public static bool Available => Ctrl is not null && SecurityContextField is not null;

    /// <summary>
    /// Sets <c>SSL_MODE_RELEASE_BUFFERS</c> on <paramref name="stream"/>'s OpenSSL connection. Call it between the
    /// handshake and the first read or write: nothing else may use the handle meanwhile. Returns false where the mode
    /// could not be set.
    /// </summary>
    public static bool TryRelease(SslStream stream)
    {
        if (Ctrl is not { } ctrl || Handle(SecurityContextField?.GetValue(stream)) is not { IsInvalid: false, IsClosed: false } ssl)
        {
            return false;
        }

        var added = false;
        try
        {
            ssl.DangerousAddRef(ref added);
            return (ctrl(ssl.DangerousGetHandle(), SslCtrlMode, SslModeReleaseBuffers, 0) & SslModeReleaseBuffers) != 0;
        }
        finally
        {
            if (added)
            {
                ssl.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The OpenSSL <c>SSL*</c> behind the stream's security context: the context itself (.NET 10, a
    /// <c>SafeSslHandle</c>) or, in earlier layouts, its <c>SslContext</c> property.
    /// </summary>
    private static SafeHandle? Handle(object? context) => context switch
    {
        null => null,
        SafeHandle handle when handle.GetType().Name == "SafeSslHandle" => handle,
        _ => context.GetType().GetProperty("SslContext", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(context) as SafeHandle,
    };

    private static SslCtrl? LoadSslCtrl()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // The names the runtime's OpenSSL shim probes, in its order: the first that loads is the library it uses.
        foreach (var name in (string[])["libssl.so.3", "libssl.so.1.1", "libssl.so"])
        {
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "SSL_ctrl", out var export))
            {
                return Marshal.GetDelegateForFunctionPointer<SslCtrl>(export);
            }
        }

        return null;
    }
}
