using System.Net;

namespace McProxy.Http.Hosting;

/// <summary>
/// The address Kestrel "listens" on for L7: not a socket, the in-process queue of connections the proxy listeners
/// hand over. Only <see cref="L7ConnectionQueue"/> can bind it, so Kestrel never opens a port of its own.
/// </summary>
internal sealed class L7EndPoint : EndPoint
{
    public static readonly L7EndPoint Instance = new();

    private L7EndPoint()
    {
    }

    public override string ToString() => "mc-proxy:l7";
}
