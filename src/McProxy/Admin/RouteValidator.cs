using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using McProxy.Config;
using McProxy.Store;
using Route = McProxy.Client.V1.Route;

namespace McProxy.Admin;

/// <summary>
/// Checks a route from the admin API as strictly as the config loader checks one from TOML, and more: an l7
/// route's certificate and key must load now, since nobody reads a log line for a route added at run time.
/// </summary>
internal static class RouteValidator
{
    /// <summary>The route to store (hostname normalised); throws InvalidArgument naming the first bad field.</summary>
    public static StoredRoute Validate(Route? route, long listenerId)
    {
        if (route is null)
        {
            throw AdminErrors.InvalidArgument("route", "is required");
        }

        var hostname = Hostnames.Normalize(route.Hostname.Trim());
        if (hostname.Length == 0)
        {
            throw AdminErrors.InvalidArgument("route.hostname", "is required");
        }

        if (!Hostnames.IsValidRouteHostname(hostname))
        {
            throw AdminErrors.InvalidArgument("route.hostname", $"\"{route.Hostname}\" is not a DNS name or a leading wildcard such as \"*.example.net\"");
        }

        if (!HostPort.TryParse(route.Backend, allowEmptyHost: false, out var backend, out var backendError))
        {
            throw AdminErrors.InvalidArgument("route.backend", backendError);
        }

        if (backend.Port == 0)
        {
            throw AdminErrors.InvalidArgument("route.backend", "port must not be 0");
        }

        var mode = route.Mode switch
        {
            "" or "l4" => RouteMode.L4,
            "l7" => RouteMode.L7,
            _ => throw AdminErrors.InvalidArgument("route.mode", $"\"{route.Mode}\" is not \"l4\" or \"l7\""),
        };

        if (mode == RouteMode.L7)
        {
            ValidateL7(route);
        }
        else
        {
            foreach (var (field, set) in new[]
            {
                ("route.tls_cert", route.TlsCert.Length > 0),
                ("route.tls_key", route.TlsKey.Length > 0),
                ("route.backend_tls", route.BackendTls),
                ("route.backend_ca", route.BackendCa.Length > 0),
                ("route.backend_h2c", route.BackendH2C),
            })
            {
                if (set)
                {
                    throw AdminErrors.InvalidArgument(field, "applies to l7 routes only");
                }
            }
        }

        return new StoredRoute
        {
            ListenerId = listenerId,
            Hostname = hostname,
            Backend = route.Backend,
            Mode = mode,
            TlsCert = route.TlsCert,
            TlsKey = route.TlsKey,
            BackendTls = route.BackendTls,
            BackendCa = route.BackendCa,
            BackendH2c = route.BackendH2C,
            SendProxyProtocol = route.SendProxyProtocol,
        };
    }

    private static void ValidateL7(Route route)
    {
        RequireFile("route.tls_cert", route.TlsCert, "the certificate presented to clients");
        RequireFile("route.tls_key", route.TlsKey, "the certificate's private key");
        if (route.SendProxyProtocol)
        {
            throw AdminErrors.InvalidArgument("route.send_proxy_protocol", "applies to l4 routes only (l7 routes send X-Forwarded-For and X-Real-IP)");
        }

        if (route.BackendTls && route.BackendH2C)
        {
            throw AdminErrors.InvalidArgument("route.backend_h2c", "cannot be combined with backend_tls");
        }

        if (route.BackendCa.Length > 0)
        {
            if (!route.BackendTls)
            {
                throw AdminErrors.InvalidArgument("route.backend_ca", "is only used with backend_tls");
            }

            RequireFile("route.backend_ca", route.BackendCa, "the CA that verifies the backend");
        }

        try
        {
            using var certificate = X509Certificate2.CreateFromPemFile(route.TlsCert, route.TlsKey);
            if (!certificate.HasPrivateKey)
            {
                throw AdminErrors.InvalidArgument("route.tls_key", "does not hold the certificate's private key");
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw AdminErrors.InvalidArgument("route.tls_cert", $"certificate and key do not load: {e.Message}");
        }
    }

    private static void RequireFile(string field, string path, string what)
    {
        if (path.Length == 0)
        {
            throw AdminErrors.InvalidArgument(field, $"is required on an l7 route ({what})");
        }

        // The server's working directory means nothing to a remote caller.
        if (!Path.IsPathFullyQualified(path))
        {
            throw AdminErrors.InvalidArgument(field, $"\"{path}\" must be an absolute path");
        }

        if (!File.Exists(path))
        {
            throw AdminErrors.InvalidArgument(field, $"file \"{path}\" does not exist");
        }
    }
}
