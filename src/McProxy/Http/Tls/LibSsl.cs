using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace McProxy.Http.Tls;

/// <summary>
/// The few OpenSSL calls the proxy makes on the connections .NET's <see cref="SslStream"/> runs on Linux, which
/// exposes neither its OpenSSL handle nor these settings: the handle is read through the stream's private state and
/// the functions are taken from the same libssl the runtime loaded. Where that is not possible (another platform or
/// runtime layout, no libssl), <see cref="Available"/> is false and callers keep .NET's own behaviour.
/// </summary>
internal static class LibSsl
{
    private static readonly FieldInfo? SecurityContextField =
        typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);

    private static readonly Functions? Loaded = Load();

    public delegate nint SslCtrlFunction(nint ssl, int command, nint larg, nint parg);

    public delegate nint SslGetSslCtxFunction(nint ssl);

    public delegate int SslCtxSetCipherListFunction(nint ctx, [MarshalAs(UnmanagedType.LPUTF8Str)] string ciphers);

    /// <summary>Whether this process can reach a stream's OpenSSL handle (Linux, the runtime's layout as expected).</summary>
    public static bool Available => Loaded is not null && SecurityContextField is not null;

    /// <summary><c>SSL_ctrl</c>: the call behind OpenSSL's <c>SSL_set_mode</c> and other per-connection macros.</summary>
    public static SslCtrlFunction? SslCtrl => Loaded?.SslCtrl;

    /// <summary><c>SSL_get_SSL_CTX</c>: the context (certificate, suites, session cache) a connection was made from.</summary>
    public static SslGetSslCtxFunction? SslGetSslCtx => Loaded?.SslGetSslCtx;

    /// <summary><c>SSL_CTX_set_cipher_list</c>: the TLS 1.2 suites of every connection made from a context.</summary>
    public static SslCtxSetCipherListFunction? SslCtxSetCipherList => Loaded?.SslCtxSetCipherList;

    /// <summary>
    /// Runs <paramref name="call"/> with the OpenSSL <c>SSL*</c> behind <paramref name="stream"/>, kept valid for the
    /// call. The handle exists from the start of the handshake; nothing else may use it meanwhile (call between the
    /// handshake and the first read or write). False when the stream is closed or its handle cannot be reached.
    /// </summary>
    public static bool TryCall<T>(SslStream stream, Func<nint, T> call, out T result)
    {
        result = default!;
        if (!Available || Unwrap(SecurityContextField?.GetValue(stream)) is not { IsInvalid: false, IsClosed: false } ssl)
        {
            return false;
        }

        var added = false;
        try
        {
            ssl.DangerousAddRef(ref added);
            result = call(ssl.DangerousGetHandle());
            return true;
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
    /// The handle itself (.NET 10, a <c>SafeSslHandle</c>) or, in earlier layouts, the security context's
    /// <c>SslContext</c> property.
    /// </summary>
    private static SafeHandle? Unwrap(object? context) => context switch
    {
        null => null,
        SafeHandle handle when handle.GetType().Name == "SafeSslHandle" => handle,
        _ => context.GetType().GetProperty("SslContext", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(context) as SafeHandle,
    };

    private static Functions? Load()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // The names the runtime's OpenSSL shim probes, in its order: the first that loads is the library it uses.
        foreach (var name in (string[])["libssl.so.3", "libssl.so.1.1", "libssl.so"])
        {
            if (NativeLibrary.TryLoad(name, out var library)
                && NativeLibrary.TryGetExport(library, "SSL_ctrl", out var ctrl)
                && NativeLibrary.TryGetExport(library, "SSL_get_SSL_CTX", out var getCtx)
                && NativeLibrary.TryGetExport(library, "SSL_CTX_set_cipher_list", out var setCipherList))
            {
                return new Functions(
                    Marshal.GetDelegateForFunctionPointer<SslCtrlFunction>(ctrl),
                    Marshal.GetDelegateForFunctionPointer<SslGetSslCtxFunction>(getCtx),
                    Marshal.GetDelegateForFunctionPointer<SslCtxSetCipherListFunction>(setCipherList));
            }
        }

        return null;
    }

    private sealed record Functions(SslCtrlFunction SslCtrl, SslGetSslCtxFunction SslGetSslCtx, SslCtxSetCipherListFunction SslCtxSetCipherList);
}
