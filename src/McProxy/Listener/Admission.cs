using System.Buffers;
using System.Net;
using McProxy.Routing;

namespace McProxy.Listener;

/// <summary>
/// What a connection's admission decided: a refusal (the socket is already reset), or admitted, with what a PROXY
/// header read left for the ClientHello sniffer. The header's pooled buffer is the caller's to return
/// (<see cref="ReturnBuffer"/>), refused or not.
/// </summary>
/// <param name="Refusal">Why the connection ends here; null when admitted.</param>
/// <param name="ProxyHeader">The PROXY header read, on a listener that takes one.</param>
internal readonly record struct Admission(ConnectionResult? Refusal, ProxyHeaderReadResult? ProxyHeader = null)
{
    /// <summary>The start of the TLS stream, received with the PROXY header.</summary>
    public ReadOnlyMemory<byte> PreRead => ProxyHeader is { } read ? read.Rest : default;

    /// <summary>The address the client connected to, when its PROXY header says.</summary>
    public IPEndPoint? OriginalDestination => ProxyHeader?.Header?.Destination;

    public void ReturnBuffer()
    {
        if (ProxyHeader is { } read)
        {
            ArrayPool<byte>.Shared.Return(read.Buffer);
        }
    }
}
