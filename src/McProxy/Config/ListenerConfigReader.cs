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
                section.Error("addr", $"\"{listener.Addr}\" is used by another listener");
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

        if (addr.Length > 0 && !ListenAddress.TryParse(addr, out _, out var addrError))
        {
            section.Error("addr", addrError);
        }

        for (var i = 0; i < trustedProxies.Count; i++)
        {
            if (!IpRanges.TryParse(trustedProxies[i], out _))
            {
                section.Error($"trusted_proxies[{i}]", $"\"{trustedProxies[i]}\" is not an IP address or CIDR");
            }
        }

        if (proxyProtocol && trustedProxies.Count == 0)
        {
            section.Error("trusted_proxies", "is required when proxy_protocol = true (say who may send PROXY headers)");
        }

        var routes = new List<RouteConfig>(routeSections.Count);
        var hostnames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var routeSection in routeSections)
        {
            var route = ReadRoute(routeSection, files, warnings);
            if (route.Hostname.Length > 0 && !hostnames.Add(route.Hostname))
            {
                routeSection.Error("hostname", $"\"{route.Hostname}\" appears twice on this listener");
            }

            routes.Add(route);
        }

        string? normalizedDefault = null;
        if (defaultRoute is not null)
        {
            normalizedDefault = Hostnames.Normalize(defaultRoute);
            if (!hostnames.Contains(normalizedDefault))
            {
                section.Error("default_route", $"\"{defaultRoute}\" is not the hostname of one of this listener's routes");
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
        var backend = section.GetString("backend", required: true) ?? "";
        var modeText = section.GetString("mode") ?? "l4";
        var tlsCert = section.GetString("tls_cert") ?? "";
        var tlsKey = section.GetString("tls_key") ?? "";
        var backendTls = section.GetBool("backend_tls");
        var backendCa = section.GetString("backend_ca") ?? "";
        var backendH2c = section.GetBool("backend_h2c");
        var sendProxyProtocol = section.GetBool("send_proxy_protocol");
        var policySections = section.GetTableArray("l7_policies", "type");
        section.ReportUnknownKeys();

        if (hostname.Length > 0 && !Hostnames.IsValidRouteHostname(Hostnames.Normalize(hostname)))
        {
            section.Error("hostname", $"\"{hostname}\" is not a DNS name or a leading wildcard such as \"*.example.net\"");
        }

        if (backend.Length > 0)
        {
            if (!HostPort.TryParse(backend, allowEmptyHost: false, out var backendAddr, out var backendError))
            {
                section.Error("backend", backendError);
            }
            else if (backendAddr.Port == 0)
            {
                section.Error("backend", "port must not be 0");
            }
        }

        var mode = RouteMode.L4;
        switch (modeText)
        {
            case "l4":
                break;
            case "l7":
                mode = RouteMode.L7;
                break;
            default:
                section.Error("mode", $"\"{modeText}\" is not \"l4\" or \"l7\"");
                break;
        }

        if (mode == RouteMode.L7)
        {
            if (tlsCert.Length == 0)
            {
                section.Error("tls_cert", "is required on an l7 route (the certificate presented to clients)");
            }

            if (tlsKey.Length == 0)
            {
                section.Error("tls_key", "is required on an l7 route");
            }

            if (backendTls && backendH2c)
            {
                section.Error("backend_h2c", "cannot be combined with backend_tls (h2c is plaintext HTTP/2; with TLS, HTTP/2 is negotiated by ALPN)");
            }

            if (backendCa.Length > 0 && !backendTls)
            {
                section.Error("backend_ca", "is only used with backend_tls = true");
            }

            if (sendProxyProtocol)
            {
                section.Error("send_proxy_protocol", "applies to l4 routes only (l7 routes send X-Forwarded-For and X-Real-IP)");
            }
        }
        else
        {
            foreach (var (key, set) in new[] { ("tls_cert", tlsCert.Length > 0), ("tls_key", tlsKey.Length > 0), ("backend_tls", backendTls), ("backend_ca", backendCa.Length > 0), ("backend_h2c", backendH2c) })
            {
                if (set)
                {
                    section.Error(key, "applies to l7 routes only; set mode = \"l7\" or remove it");
                }
            }
        }

        var policies = new List<L7PolicyConfig>(policySections.Count);
        foreach (var policySection in policySections)
        {
            var type = policySection.GetString("type", required: true) ?? "";
            var value = policySection.GetString("value", required: true) ?? "";
            policySection.ReportUnknownKeys();
            if (type.Length > 0 && !L7PolicyConfig.IsKnownType(type))
            {
                policySection.Error("type", $"\"{type}\" is not \"{L7PolicyConfig.BlockUserAgent}\" or \"{L7PolicyConfig.RequireHeader}\"");
            }

            policies.Add(new L7PolicyConfig(type, value));
        }

        if (mode == RouteMode.L4 && policies.Count > 0)
        {
            warnings.Add($"{section.Path}: l7_policies on an l4 route are ignored (TLS is not terminated, so there is no HTTP to inspect)");
            policies.Clear();
        }

        return new RouteConfig
        {
            Hostname = Hostnames.Normalize(hostname),
            Backend = backend,
            Mode = mode,
            TlsCert = files.Check(section, "tls_cert", tlsCert),
            TlsKey = files.Check(section, "tls_key", tlsKey),
            BackendTls = backendTls,
            BackendCa = files.Check(section, "backend_ca", backendCa),
            BackendH2c = backendH2c,
            SendProxyProtocol = sendProxyProtocol,
            L7Policies = policies,
        };
    }
}
