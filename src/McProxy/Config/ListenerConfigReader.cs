using McProxy.Model;
using McProxy.Net;

namespace McProxy.Config;

/// <summary>Reads and validates [[listeners]], their [[listeners.routes]] and [[listeners.routes.l7_policies]].</summary>
internal static class ListenerConfigReader
{
    public static IReadOnlyList<ListenerConfig> ReadAll(TomlSection root, FileChecker files, List<string> warnings)
    {
        var sections = root.GetTableArray("listeners", "addr");
        if (sections.Count == 0)
        {
            root.Error("listeners", "at least one [[listeners]] is required");
        }

        var listeners = new List<ListenerConfig>(sections.Count);
        var addrs = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in sections)
        {
            var listener = ReadListener(section, files, warnings);
            if (listener.Addr.Length > 0 && !addrs.Add(listener.Addr))
            {
                section.Error("addr", $"{RuleText.Quote(listener.Addr)} is used by another listener");
            }

            listeners.Add(listener);
        }

        return listeners;
    }

    private static ListenerConfig ReadListener(TomlSection section, FileChecker files, List<string> warnings)
    {
        var addr = section.GetString("addr", required: true) ?? "";
        var proxyProtocol = section.GetBool("proxy_protocol");
        var trustedProxies = section.GetStringArray("trusted_proxies");
        var defaultRoute = section.GetString("default_route");
        var maxConnections = section.GetInt("max_connections", 0, 0, int.MaxValue);
        var routeSections = section.GetTableArray("routes", "hostname");
        section.ReportUnknownKeys();

        foreach (var error in ListenerRules.Check(addr, proxyProtocol, trustedProxies, defaultRoute))
        {
            section.Error(error.Field, error.Message);
        }

        var routes = new List<RouteConfig>(routeSections.Count);
        var hostnames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var routeSection in routeSections)
        {
            var route = ReadRoute(routeSection, files, warnings);
            if (route.Hostname.Length > 0 && !hostnames.Add(route.Hostname))
            {
                routeSection.Error("hostname", $"{RuleText.Quote(route.Hostname)} appears twice on this listener");
            }

            routes.Add(route);
        }

        string? normalizedDefault = null;
        if (defaultRoute is not null)
        {
            normalizedDefault = Hostnames.Normalize(defaultRoute);
            if (!hostnames.Contains(normalizedDefault) && RouteRules.Hostname(defaultRoute) is null)
            {
                section.Error("default_route", $"{RuleText.Quote(defaultRoute)} is not the hostname of one of this listener's routes");
            }
        }

        return new ListenerConfig
        {
            Addr = addr,
            ProxyProtocol = proxyProtocol,
            TrustedProxies = trustedProxies,
            DefaultRoute = normalizedDefault,
            MaxConnections = maxConnections,
            Routes = routes,
        };
    }

    private static RouteConfig ReadRoute(TomlSection section, FileChecker files, List<string> warnings)
    {
        var hostname = section.GetString("hostname", required: true) ?? "";
        var backend = section.GetString("backend");
        var hasBackends = section.Has("backends");
        var backendsIsArray = section.HasArray("backends");
        var backends = section.GetStringArray("backends");
        var balance = section.GetString("balance") ?? "";
        var healthCheck = section.GetString("health_check") ?? "";
        var modeText = section.GetString("mode") ?? "l4";
        var tlsCert = section.GetString("tls_cert") ?? "";
        var tlsKey = section.GetString("tls_key") ?? "";
        var backendTls = section.GetBool("backend_tls");
        var backendCa = section.GetString("backend_ca") ?? "";
        var backendH2c = section.GetBool("backend_h2c");
        var sendProxyProtocol = section.GetBool("send_proxy_protocol");
        var policySections = section.GetTableArray("l7_policies", "type");
        section.ReportUnknownKeys();

        // Exactly one of backend and backends. What is wrong with the pair is said here, once, with both keys; the
        // rules' own answer about the pair is then left out (it would say the same, or mislead on an empty key).
        var pairReported = true;
        if (backend is not null && hasBackends)
        {
            section.Error("backends", "cannot be combined with backend: give one backend = \"host:port\", or several in backends = [...], not both");
        }
        else if (backend is null && !hasBackends)
        {
            section.Error("backend", "is required: one backend = \"host:port\", or several in backends = [...]");
        }
        else if (backend is { Length: 0 })
        {
            section.Error("backend", "must not be empty");
        }
        else if (hasBackends && backends.Count == 0)
        {
            // A backends that is no array was already reported by GetStringArray.
            if (backendsIsArray)
            {
                section.Error("backends", "must name at least one backend");
            }
        }
        else
        {
            pairReported = false;
        }

        var draft = new RouteDraft
        {
            Hostname = hostname,
            Backend = backend ?? "",
            Backends = backends,
            Balance = balance,
            HealthCheck = healthCheck,
            Mode = modeText,
            TlsCert = files.ResolveOrKeep(tlsCert),
            TlsKey = files.ResolveOrKeep(tlsKey),
            BackendTls = backendTls,
            BackendCa = files.ResolveOrKeep(backendCa),
            BackendH2c = backendH2c,
            SendProxyProtocol = sendProxyProtocol,
        };
        var errors = RouteRules.Check(draft);
        foreach (var error in errors)
        {
            // GetString already reported a missing or empty hostname, the pair check a wrong backend/backends pair.
            if (!(error.Field == "hostname" && hostname.Length == 0) && !(pairReported && error.Field is "backend" or "backends"))
            {
                section.Error(error.Field, error.Message);
            }
        }

        // The files are loaded only when their keys are otherwise right, so an l4 route's stray tls_cert or a path
        // too long to open says that once, not also that it does not load.
        if (files.LoadsFiles && !errors.Any(e => e.Field is "mode" or "tls_cert" or "tls_key" or "backend_ca"))
        {
            foreach (var error in RouteRules.CheckFiles(draft))
            {
                section.Error(error.Field, error.Message);
            }
        }

        var mode = RouteRules.ParseMode(modeText) ?? RouteMode.L4;
        var policies = new List<L7PolicyConfig>(policySections.Count);
        foreach (var policySection in policySections)
        {
            var type = policySection.GetString("type", required: true) ?? "";
            var value = policySection.GetString("value", required: true) ?? "";
            policySection.ReportUnknownKeys();
            foreach (var error in PolicyRules.Check(type, value))
            {
                // GetString already reported a missing or empty type or value.
                if (!(error.Field == "type" && type.Length == 0) && !(error.Field == "value" && value.Length == 0))
                {
                    policySection.Error(error.Field, error.Message);
                }
            }

            policies.Add(new L7PolicyConfig(type, value));
        }

        if (mode == RouteMode.L4 && policies.Count > 0)
        {
            warnings.Add($"{section.Path}: l7_policies on an l4 route are ignored (TLS is not terminated, so there is no HTTP to inspect)");
            policies.Clear();
        }

        return RouteConfig.FromDraft(draft, policies);
    }
}
