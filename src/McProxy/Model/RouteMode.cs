namespace McProxy.Model;

internal enum RouteMode
{
    /// <summary>Relay the raw TCP stream; TLS passes through untouched.</summary>
    L4,

    /// <summary>Terminate TLS and reverse-proxy HTTP.</summary>
    L7,
}
