namespace McProxy.Tests.TestInfrastructure;

/// <summary>Config text the config-reader tests build on: the smallest valid config, to which a test adds the section it checks.</summary>
internal static class ConfigTexts
{
    /// <summary>A database and one L4 listener with one route; no files to load.</summary>
    public const string OneListener = """
        [database]
        path = "mc-proxy.db"
        [[listeners]]
        addr = "127.0.0.1:8443"
          [[listeners.routes]]
          hostname = "a.example.net"
          backend = "127.0.0.1:9000"
        """;
}
