using System.Net;
using McProxy.Net;

namespace McProxy.Model;

/// <summary>
/// The rules a route obeys, whether it comes from the config or from the admin API: each check returns its errors
/// (field and message) instead of throwing, so the config reader lists them all and the API answers with the first.
/// Fields are named as the config keys and the <c>Route</c> message's fields are ("hostname", "tls_key").
/// </summary>
internal static class RouteRules
{
    /// <summary>A path is at most PATH_MAX (4096 bytes on Linux); a longer one cannot be opened anyway.</summary>
    public const int MaxPathLength = 4096;

    /// <summary>host:port: a 253-character DNS name or a bracketed IPv6 literal, a colon and five digits fit well inside.</summary>
    public const int MaxBackendLength = 300;

    /// <summary>
    /// 64 backends in a pool at most: the data path keeps the members one connection already tried in one
    /// <see cref="ulong"/> (Routing's <c>BackendPool.MaxMembers</c> is this), and no one balances a route over more.
    /// </summary>
    public const int MaxBackends = 64;

    /// <summary>An HTTP health-check path: a request target line, not a document; 1024 characters is far past any real one.</summary>
    public const int MaxHealthPathLength = 1024;

    /// <summary>
    /// Every rule that needs no file: hostname, exactly one of backend and backends (each backend right, none twice),
    /// balance, health_check, mode and the options each mode allows ("http:" checks only on l7 routes).
    /// </summary>
    public static List<RuleError> Check(RouteDraft route)
    {
        var errors = new List<RuleError>();
        if (Hostname(route.Hostname) is { } hostname)
        {
            errors.Add(hostname);
        }

        if (route.Backends.Count == 0)
        {
            if (route.Backend.Length == 0)
            {
                errors.Add(new RuleError("backend", "is required: one backend, or several in backends"));
            }
            else if (Backend(route.Backend) is { } backend)
            {
                errors.Add(backend);
            }
        }
        else if (route.Backend.Length > 0)
        {
            errors.Add(new RuleError("backends", "cannot be combined with backend: give one backend, or several in backends"));
        }
        else
        {
            errors.AddRange(Backends(route.Backends));
        }

        if (Balance(route.Balance) is { } balance)
        {
            errors.Add(balance);
        }

        var healthCheck = HealthCheck(route.HealthCheck, out var healthError);
        if (healthError is { } health)
        {
            errors.Add(health);
        }

        foreach (var (field, path) in Paths(route))
        {
            if (path.Length > MaxPathLength)
            {
                errors.Add(new RuleError(field, $"is {path.Length} characters long; a path is at most {MaxPathLength}"));
            }
        }

        if (ParseMode(route.Mode) is not { } mode)
        {
            errors.Add(new RuleError("mode", $"{RuleText.Quote(route.Mode)} is not \"l4\" or \"l7\""));
            return errors;
        }

        if (mode == RouteMode.L4 && healthCheck?.Mode == HealthCheckMode.Http)
        {
            errors.Add(new RuleError("health_check", $"{RuleText.Quote(route.HealthCheck)} applies to l7 routes only (an l4 route carries no HTTP to ask); use \"tcp\""));
        }

        if (mode == RouteMode.L7)
        {
            if (route.TlsCert.Length == 0)
            {
                errors.Add(new RuleError("tls_cert", "is required on an l7 route (the certificate presented to clients)"));
            }

            if (route.TlsKey.Length == 0)
            {
                errors.Add(new RuleError("tls_key", "is required on an l7 route (the certificate's private key)"));
            }

            if (route.BackendTls && route.BackendH2c)
            {
                errors.Add(new RuleError("backend_h2c", "cannot be combined with backend_tls (h2c is plaintext HTTP/2; with TLS, HTTP/2 is negotiated by ALPN)"));
            }

            if (route.BackendCa.Length > 0 && !route.BackendTls)
            {
                errors.Add(new RuleError("backend_ca", "is only used with backend_tls = true"));
            }

            if (route.SendProxyProtocol)
            {
                errors.Add(new RuleError("send_proxy_protocol", "applies to l4 routes only (l7 routes send X-Forwarded-For and X-Real-IP)"));
            }
        }
        else
        {
            foreach (var (field, set) in new[] { ("tls_cert", route.TlsCert.Length > 0), ("tls_key", route.TlsKey.Length > 0), ("backend_tls", route.BackendTls), ("backend_ca", route.BackendCa.Length > 0), ("backend_h2c", route.BackendH2c) })
            {
                if (set)
                {
                    errors.Add(new RuleError(field, "applies to l7 routes only; set mode = \"l7\" or remove it"));
                }
            }
        }

        return errors;
    }

    /// <summary>
    /// The files an l7 route names, loaded and checked: the certificate and its key load and match, backend_ca holds a
    /// certificate. Call with paths already resolved, and only when <see cref="Check"/> found nothing: file I/O is the
    /// expensive part, and the admin API runs it before it takes its mutation lock.
    /// </summary>
    public static List<RuleError> CheckFiles(RouteDraft route)
    {
        var errors = new List<RuleError>();
        if (route.TlsCert.Length > 0 && route.TlsKey.Length > 0)
        {
            FileRules.LoadCertificate(route.TlsCert, "tls_cert", route.TlsKey, "tls_key", errors)?.Leaf.Dispose();
        }

        if (route.BackendCa.Length > 0 && FileRules.LoadCaBundle(route.BackendCa, "backend_ca", out var caError) is null && caError is { } ca)
        {
            errors.Add(ca);
        }

        return errors;
    }

    /// <summary>The file keys of a route with their values, for checks that apply to every path.</summary>
    public static IEnumerable<(string Field, string Path)> Paths(RouteDraft route)
        => [("tls_cert", route.TlsCert), ("tls_key", route.TlsKey), ("backend_ca", route.BackendCa)];

    /// <summary>"l4" (or empty, the default) and "l7"; null for anything else.</summary>
    public static RouteMode? ParseMode(string mode) => mode switch
    {
        "" or "l4" => RouteMode.L4,
        "l7" => RouteMode.L7,
        _ => null,
    };

    /// <summary>"least_connections" (or empty, the default), "round_robin" and "first"; null for anything else.</summary>
    public static BalanceAlgorithm? ParseBalance(string balance) => balance switch
    {
        "" or "least_connections" => BalanceAlgorithm.LeastConnections,
        "round_robin" => BalanceAlgorithm.RoundRobin,
        "first" => BalanceAlgorithm.First,
        _ => null,
    };

    /// <summary>The name a balance is written with in the config and the API.</summary>
    public static string BalanceName(BalanceAlgorithm balance) => balance switch
    {
        BalanceAlgorithm.RoundRobin => "round_robin",
        BalanceAlgorithm.First => "first",
        _ => "least_connections",
    };

    /// <summary>
    /// A route hostname: RFC 1123, that is dot-separated labels of 1-63 letters, digits and hyphens that neither start
    /// nor end with a hyphen, at most 253 characters, with one optional leading "*." (a trailing dot is allowed and
    /// dropped by <see cref="Hostnames.Normalize"/>). Null when it is one.
    /// </summary>
    public static RuleError? Hostname(string hostname, string field = "hostname")
    {
        if (hostname.Length == 0)
        {
            return new RuleError(field, "is required");
        }

        var name = hostname.EndsWith('.') ? hostname.AsSpan(0, hostname.Length - 1) : hostname.AsSpan();
        if (name.StartsWith("*."))
        {
            name = name[2..];
        }

        return IsRfc1123Name(name) ? null : new RuleError(field, $"{RuleText.Quote(hostname)} is not a DNS name (RFC 1123: labels of letters, digits and inner hyphens, at most 253 characters) or a leading wildcard such as \"*.example.net\"");
    }

    /// <summary>
    /// A hostname that names an existing route (remove, list or change its policies): required and bounded, but not held
    /// to <see cref="Hostname"/>, so a route stored by an older build under a name today's rules refuse can still be found
    /// and removed. Null when usable.
    /// </summary>
    public static RuleError? ExistingHostname(string hostname, string field = "hostname")
    {
        if (hostname.Length == 0)
        {
            return new RuleError(field, "is required");
        }

        return hostname.Length > Hostnames.MaxLength + 1
            ? new RuleError(field, $"{RuleText.Quote(hostname)} is {hostname.Length} characters long; a hostname is at most {Hostnames.MaxLength}")
            : null;
    }

    /// <summary>A backend "host:port" with a host (IP literal or DNS name) and a port from 1 to 65535. Null when it is one.</summary>
    public static RuleError? Backend(string backend, string field = "backend")
    {
        if (backend.Length == 0)
        {
            return new RuleError(field, "is required");
        }

        if (backend.Length > MaxBackendLength)
        {
            return new RuleError(field, $"{RuleText.Quote(backend)} is {backend.Length} characters long; host:port is at most {MaxBackendLength}");
        }

        if (!HostPort.TryParse(backend, allowEmptyHost: false, out var parsed, out var error))
        {
            return new RuleError(field, error);
        }

        return parsed.Port == 0 ? new RuleError(field, "port must not be 0") : null;
    }

    /// <summary>
    /// A pool's backends: 1 to <see cref="MaxBackends"/>, each a <see cref="Backend"/> (field "backends[i]"), none
    /// twice (the host compared without case, an IP literal by its address). Empty when they are right.
    /// </summary>
    public static List<RuleError> Backends(IReadOnlyList<string> backends, string field = "backends")
    {
        var errors = new List<RuleError>();
        if (backends.Count == 0)
        {
            errors.Add(new RuleError(field, "must name at least one backend"));
            return errors;
        }

        if (backends.Count > MaxBackends)
        {
            // Not each one checked: a hostile list of a million entries gets one answer.
            errors.Add(new RuleError(field, $"has {backends.Count} backends; a pool has at most {MaxBackends}"));
            return errors;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < backends.Count; i++)
        {
            var itemField = $"{field}[{i}]";
            if (Backend(backends[i], itemField) is { } error)
            {
                errors.Add(error);
            }
            else if (!seen.Add(SameBackendKey(backends[i])))
            {
                errors.Add(new RuleError(itemField, $"{RuleText.Quote(backends[i])} appears twice in this pool"));
            }
        }

        return errors;
    }

    /// <summary>"least_connections" (or empty), "round_robin" or "first". Null when it is one.</summary>
    public static RuleError? Balance(string balance, string field = "balance")
        => ParseBalance(balance) is null
            ? new RuleError(field, $"{RuleText.Quote(balance)} is not \"least_connections\", \"round_robin\" or \"first\"")
            : null;

    /// <summary>
    /// A health_check as written: empty (the default for the pool), "tcp", "none", or "http:" and an absolute path of
    /// printable ASCII without spaces, at most <see cref="MaxHealthPathLength"/> characters (it goes into a request
    /// line as it is). The parsed setting (null when empty or wrong) and the error (null when right).
    /// </summary>
    public static HealthCheckSetting? HealthCheck(string text, out RuleError? error, string field = "health_check")
    {
        error = null;
        if (text.Length == 0)
        {
            return null;
        }

        if (text.StartsWith("http:", StringComparison.Ordinal))
        {
            var path = text.AsSpan("http:".Length);
            if (path.Length == 0 || path[0] != '/')
            {
                error = new RuleError(field, $"{RuleText.Quote(text)}: the path must start with '/', e.g. \"http:/healthz\"");
                return null;
            }

            if (path.Length > MaxHealthPathLength)
            {
                error = new RuleError(field, $"{RuleText.Quote(text)}: the path is {path.Length} characters long; at most {MaxHealthPathLength}");
                return null;
            }

            foreach (var c in path)
            {
                if (c is <= ' ' or > '~')
                {
                    error = new RuleError(field, $"{RuleText.Quote(text)}: the path must be printable ASCII without spaces (percent-encode anything else)");
                    return null;
                }
            }
        }

        var setting = HealthCheckSetting.Parse(text);
        if (setting is null)
        {
            error = new RuleError(field, $"{RuleText.Quote(text)} is not \"tcp\", \"none\" or \"http:\" and a path such as \"http:/healthz\"");
        }

        return setting;
    }

    /// <summary>
    /// <see cref="SameBackendKey(HostPort)"/> of a backend as written; an address that does not parse is only the same
    /// as itself.
    /// </summary>
    public static string SameBackendKey(string backend)
        => HostPort.TryParse(backend, allowEmptyHost: false, out var parsed, out _) ? SameBackendKey(parsed) : backend;

    /// <summary>What makes two backends the same: the port, and the host without case (an IP literal by its address, so "[::1]" and "[0::1]" are one).</summary>
    public static string SameBackendKey(HostPort backend)
    {
        var host = IPAddress.TryParse(backend.Host, out var ip) ? ip.ToString() : backend.Host.ToLowerInvariant();
        return $"{host}:{backend.Port}";
    }

    private static bool IsRfc1123Name(ReadOnlySpan<char> name)
    {
        if (name.Length == 0 || name.Length > Hostnames.MaxLength)
        {
            return false;
        }

        foreach (var range in name.Split('.'))
        {
            var label = name[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return false;
                }
            }
        }

        return true;
    }
}
