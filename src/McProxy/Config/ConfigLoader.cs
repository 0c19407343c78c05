using McProxy.Model;
using McProxy.Net;
using Tomlyn.Model;

namespace McProxy.Config;

/// <summary>
/// Reads and validates the TOML config. Every error is collected, each naming its key and the listener or
/// route it belongs to, and thrown together as one <see cref="ConfigException"/>. Relative paths in the file
/// are resolved against the file's own directory, so a config and its certificates can move together.
/// </summary>
internal static class ConfigLoader
{
    /// <summary>Reads the config at <paramref name="path"/>; <paramref name="loadFiles"/> false skips loading the files keys name (see <see cref="FileChecker"/>).</summary>
    public static ProxyConfig Load(string path, bool loadFiles = true)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, [$"cannot read the config file: {e.Message}"]);
        }

        var baseDirectory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        return Read(TomlDocumentReader.Read(bytes, path), path, baseDirectory, loadFiles);
    }

    public static ProxyConfig Parse(string text, string sourceName, string baseDirectory, bool loadFiles = true) =>
        Read(TomlDocumentReader.Read(text, sourceName), sourceName, baseDirectory, loadFiles);

    private static ProxyConfig Read(TomlTable table, string sourceName, string baseDirectory, bool loadFiles)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var files = new FileChecker(baseDirectory, errors, loadFiles);
        var root = new TomlSection(table, "", errors);

        var database = ReadDatabase(root, files);
        var listeners = ListenerConfigReader.ReadAll(root, files, warnings);
        var grpc = ReadGrpc(root, files);
        var firewall = FirewallConfigReader.Read(root, files);
        var proxy = ReadProxy(root);
        var metrics = ReadMetrics(root);
        var log = ReadLog(root);
        var tls = TlsConfigReader.Read(root);
        root.ReportUnknownKeys();

        if (errors.Count > 0)
        {
            throw new ConfigException(sourceName, errors);
        }

        return new ProxyConfig
        {
            Database = database,
            Listeners = listeners,
            Grpc = grpc,
            Firewall = firewall,
            Proxy = proxy,
            Metrics = metrics,
            Log = log,
            Tls = tls,
            Warnings = warnings,
        };
    }

    private static DatabaseConfig ReadDatabase(TomlSection root, FileChecker files)
    {
        var section = root.GetTable("database");
        if (section is null)
        {
            root.Error("database", "the [database] section is required");
            return new DatabaseConfig { Path = "" };
        }

        var path = section.GetString("path", required: true) ?? "";
        section.ReportUnknownKeys();
        return new DatabaseConfig { Path = path.Length > 0 ? files.Resolve(path) : "" };
    }

    private static GrpcConfig? ReadGrpc(TomlSection root, FileChecker files)
    {
        var section = root.GetTable("grpc");
        if (section is null)
        {
            return null;
        }

        var addr = section.GetString("addr", required: true) ?? "";
        var tlsCert = section.GetString("tls_cert") ?? "";
        var tlsKey = section.GetString("tls_key") ?? "";
        var clientCa = section.GetString("client_ca") ?? "";
        section.ReportUnknownKeys();

        if (addr.StartsWith(GrpcConfig.UnixPrefix, StringComparison.Ordinal))
        {
            var socketPath = addr[GrpcConfig.UnixPrefix.Length..];
            if (socketPath.Length == 0)
            {
                section.Error("addr", "\"unix:\" needs a socket path, e.g. \"unix:/srv/mc-proxy/mc-proxy.sock\"");
            }
            else
            {
                addr = GrpcConfig.UnixPrefix + files.Resolve(socketPath);
            }
        }
        else if (addr.Length > 0)
        {
            if (!HostPort.TryParse(addr, allowEmptyHost: true, out _, out var error))
            {
                section.Error("addr", $"{error}; use \"unix:/path\" or \"host:port\"");
            }

            if (tlsCert.Length == 0 || tlsKey.Length == 0)
            {
                section.Error("tls_cert", "tls_cert and tls_key are required when addr is host:port (the admin API is never served in plaintext over TCP)");
            }
        }

        var config = new GrpcConfig
        {
            Addr = addr,
            TlsCert = files.ResolveOrKeep(tlsCert),
            TlsKey = files.ResolveOrKeep(tlsKey),
            ClientCa = files.ResolveOrKeep(clientCa),
        };
        if (config.TlsCert.Length > 0 && config.TlsKey.Length > 0)
        {
            files.CertificatePair(section, "tls_cert", config.TlsCert, "tls_key", config.TlsKey);
        }

        if (config.ClientCa.Length > 0)
        {
            files.CaBundle(section, "client_ca", config.ClientCa);
        }

        return config;
    }

    private static ProxySettings ReadProxy(TomlSection root)
    {
        var section = root.GetTable("proxy");
        if (section is null)
        {
            return new ProxySettings();
        }

        var defaults = new ProxySettings();
        var settings = new ProxySettings
        {
            ConnectTimeout = section.GetDuration("connect_timeout", defaults.ConnectTimeout),
            IdleTimeout = section.GetDuration("idle_timeout", defaults.IdleTimeout),
            ShutdownTimeout = section.GetDuration("shutdown_timeout", defaults.ShutdownTimeout),
            HelloTimeout = section.GetDuration("hello_timeout", defaults.HelloTimeout),
            MaxConnections = section.GetInt("max_connections", 0, 0, int.MaxValue),
            HealthInterval = section.GetDuration("health_interval", defaults.HealthInterval),
            HealthTimeout = section.GetDuration("health_timeout", defaults.HealthTimeout),
            HealthRise = section.GetInt("health_rise", defaults.HealthRise, 1, ProxySettings.MaxHealthCount),
            HealthFall = section.GetInt("health_fall", defaults.HealthFall, 1, ProxySettings.MaxHealthCount),
        };
        section.ReportUnknownKeys();
        // health_timeout may exceed health_interval, as HAProxy allows "timeout check" above "inter": a check still out
        // when the next round comes is not started twice, so a slow backend is checked less often, never in parallel.
        foreach (var (key, value) in new[] { ("connect_timeout", settings.ConnectTimeout), ("idle_timeout", settings.IdleTimeout), ("shutdown_timeout", settings.ShutdownTimeout), ("hello_timeout", settings.HelloTimeout), ("health_interval", settings.HealthInterval), ("health_timeout", settings.HealthTimeout) })
        {
            if (TimeoutRules.Check(key, value) is { } error)
            {
                section.Error(error.Field, error.Message);
            }
        }

        return settings;
    }

    private static MetricsConfig? ReadMetrics(TomlSection root)
    {
        var section = root.GetTable("metrics");
        if (section is null)
        {
            return null;
        }

        var addr = section.GetString("addr", required: true) ?? "";
        section.ReportUnknownKeys();
        if (addr.Length > 0 && !HostPort.TryParse(addr, allowEmptyHost: true, out _, out var error))
        {
            section.Error("addr", error);
        }

        return new MetricsConfig { Addr = addr };
    }

    private static LogConfig ReadLog(TomlSection root)
    {
        var section = root.GetTable("log");
        if (section is null)
        {
            return new LogConfig();
        }

        var levelText = section.GetString("level");
        var formatText = section.GetString("format");
        section.ReportUnknownKeys();
        var config = new LogConfig();
        if (levelText is not null)
        {
            if (LogConfig.TryParseLevel(levelText, out var level))
            {
                config = config with { Level = level };
            }
            else
            {
                section.Error("level", $"{RuleText.Quote(levelText)} is not one of debug, info, warn, error");
            }
        }

        if (formatText is not null)
        {
            if (LogConfig.TryParseFormat(formatText, out var format))
            {
                config = config with { Format = format };
            }
            else
            {
                section.Error("format", $"{RuleText.Quote(formatText)} is not one of auto, json, text");
            }
        }

        return config;
    }
}
