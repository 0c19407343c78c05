namespace McProxy.Routing.Pools;

/// <summary>How an HTTP check talks to the backend: the route's backend protocol.</summary>
internal enum BackendProtocol
{
    /// <summary>Plaintext HTTP/1.1.</summary>
    Http1,

    /// <summary>Plaintext HTTP/2 with prior knowledge (<c>backend_h2c</c>).</summary>
    H2c,

    /// <summary>TLS (<c>backend_tls</c>), h2 or HTTP/1.1 by ALPN.</summary>
    Tls,
}
