using System.Buffers;
using System.Net;
using System.Net.Sockets;
using McProxy.Tls;

namespace McProxy.Routing;

/// <summary>
/// A connection as the listener hands it to its route's <see cref="IRouteTarget"/>: the client socket, the route it
/// was given, the ClientHello read from it (every byte, for replay) and a narrow view of the connection.
/// </summary>
internal sealed class RoutedConnection
{
    private byte[]? _helloBuffer;

    /// <param name="connection">Counting, activity and abort.</param>
    /// <param name="phases">The target's steps, for the deadlines.</param>
    /// <param name="client">The client socket; the listener's connection closes it.</param>
    /// <param name="listener">The listener that accepted it.</param>
    /// <param name="route">The route the ClientHello matched.</param>
    /// <param name="hello">What the ClientHello said.</param>
    /// <param name="helloBuffer">The ClientHello's bytes, rented from <see cref="ArrayPool{T}.Shared"/>: owned from here on.</param>
    /// <param name="helloLength">How many bytes of <paramref name="helloBuffer"/> were read.</param>
    /// <param name="originalDestination">The address the client connected to, when a PROXY header said so.</param>
    public RoutedConnection(IConnectionView connection, IConnectionPhases phases, Socket client, ListenerState listener, RouteEntry route,
        ClientHelloInfo hello, byte[] helloBuffer, int helloLength, IPEndPoint? originalDestination)
    {
        Connection = connection;
        Phases = phases;
        Client = client;
        Listener = listener;
        Route = route;
        Hello = hello;
        _helloBuffer = helloBuffer;
        HelloLength = helloLength;
        OriginalDestination = originalDestination;
    }

    public IConnectionView Connection { get; }

    public IConnectionPhases Phases { get; }

    public Socket Client { get; }

    public ListenerState Listener { get; }

    public RouteEntry Route { get; }

    public ClientHelloInfo Hello { get; }

    /// <summary>How many bytes the ClientHello took: what the replay sends on.</summary>
    public int HelloLength { get; }

    /// <summary>The ClientHello's bytes, every one the client sent after its PROXY header; empty once released.</summary>
    public ReadOnlyMemory<byte> HelloBytes => _helloBuffer is { } buffer ? buffer.AsMemory(0, HelloLength) : default;

    /// <summary>The address the client connected to, from its PROXY header; null without one (or one without addresses).</summary>
    public IPEndPoint? OriginalDestination { get; }

    /// <summary>
    /// The ClientHello has been replayed (or copied): its pooled buffer goes back now rather than at the
    /// connection's end, so a long-lived connection does not hold it. Once; later calls do nothing.
    /// </summary>
    public void ReleaseHello()
    {
        if (_helloBuffer is { } buffer)
        {
            _helloBuffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
