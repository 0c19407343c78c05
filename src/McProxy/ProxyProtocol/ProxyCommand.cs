namespace McProxy.ProxyProtocol;

internal enum ProxyCommand
{
    /// <summary>The upstream proxy speaks for itself (a health check): use the real peer address.</summary>
    Local,

    /// <summary>The upstream proxy relays a client, whose address the header carries.</summary>
    Proxy,
}
