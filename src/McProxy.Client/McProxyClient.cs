using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using McProxy.Client.V1;

namespace McProxy.Client;

/// <summary>
/// A typed client for the mc-proxy admin API: one async method per RPC. Failures surface as
/// <see cref="RpcException"/> with the server's status code (InvalidArgument, NotFound, AlreadyExists,
/// FailedPrecondition) or Unavailable when the server cannot be reached. Thread-safe; dispose when done.
/// </summary>
public sealed class McProxyClient : IDisposable
{
    private readonly GrpcChannel _channel;

    private McProxyClient(GrpcChannel channel)
    {
        _channel = channel;
        Admin = new ProxyAdminService.ProxyAdminServiceClient(channel);
        Health = new Health.HealthClient(channel);
    }

    /// <summary>The generated client, for callers who need call options this class does not expose.</summary>
    public ProxyAdminService.ProxyAdminServiceClient Admin { get; }

    /// <summary>The standard grpc.health.v1 client on the same channel.</summary>
    public Health.HealthClient Health { get; }

    /// <summary>A client for an admin API served on the Unix socket at <paramref name="path"/>.</summary>
    public static McProxyClient ForUnixSocket(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var endPoint = new UnixDomainSocketEndPoint(path);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(endPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };

        // The authority is never resolved: every connection goes through the callback above.
        return new McProxyClient(GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler }));
    }

    /// <summary>A client for an admin API served with TLS on <paramref name="hostPort"/> ("host:port", IPv6 in brackets).</summary>
    public static McProxyClient ForAddress(string hostPort, McProxyClientOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostPort);
        ArgumentNullException.ThrowIfNull(options);
        var uri = new Uri("https://" + hostPort);
        var serverName = options.ServerName ?? uri.IdnHost;
        var trusted = options.TrustedCertificates.ToArray();
        var ssl = new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && Validate(new X509Certificate2(certificate), errors, trusted, options.AllowPinnedCertificateForAnyName),
        };
        if (options.ClientCertificate is { } clientCertificate)
        {
            ssl.ClientCertificates = [clientCertificate];
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        var handler = new SocketsHttpHandler { SslOptions = ssl };
        return new McProxyClient(GrpcChannel.ForAddress(uri, new GrpcChannelOptions { HttpHandler = handler }));
    }

    /// <summary>
    /// A client for <paramref name="hostPort"/> from PEM files: <paramref name="caFile"/> to trust (null: the system store),
    /// <paramref name="certFile"/> and <paramref name="keyFile"/> for mTLS (both or neither).
    /// </summary>
    public static McProxyClient ForAddress(string hostPort, string? caFile, string? certFile = null, string? keyFile = null)
    {
        var options = new McProxyClientOptions();
        if (!string.IsNullOrEmpty(caFile))
        {
            var bundle = new X509Certificate2Collection();
            bundle.ImportFromPemFile(caFile);
            foreach (var certificate in bundle)
            {
                options.TrustedCertificates.Add(certificate);
            }
        }

        if (string.IsNullOrEmpty(certFile) != string.IsNullOrEmpty(keyFile))
        {
            throw new ArgumentException("a client certificate needs both its certificate and its key file");
        }

        if (!string.IsNullOrEmpty(certFile))
        {
            options.ClientCertificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }

        return ForAddress(hostPort, options);
    }

    /// <summary>Version, uptime and per-listener counters.</summary>
    public async Task<GetStatusResponse> GetStatusAsync(CancellationToken cancellationToken = default)
        => await Admin.GetStatusAsync(new GetStatusRequest(), cancellationToken: cancellationToken);

    /// <summary>The routes of the listener <paramref name="listenerAddr"/> (as configured), or of every listener when null or empty.</summary>
    public async Task<IReadOnlyList<Route>> ListRoutesAsync(string? listenerAddr = null, CancellationToken cancellationToken = default)
        => (await Admin.ListRoutesAsync(new ListRoutesRequest { ListenerAddr = listenerAddr ?? "" }, cancellationToken: cancellationToken)).Routes;

    /// <summary>Adds <paramref name="route"/> to a listener, or replaces its route of the same hostname; returns the route as stored.</summary>
    public async Task<Route> AddRouteAsync(string listenerAddr, Route route, CancellationToken cancellationToken = default)
        => (await Admin.AddRouteAsync(new AddRouteRequest { ListenerAddr = listenerAddr, Route = route }, cancellationToken: cancellationToken)).Route;

    /// <summary>Removes a listener's route and its L7 policies.</summary>
    public async Task RemoveRouteAsync(string listenerAddr, string hostname, CancellationToken cancellationToken = default)
        => await Admin.RemoveRouteAsync(new RemoveRouteRequest { ListenerAddr = listenerAddr, Hostname = hostname }, cancellationToken: cancellationToken);

    /// <summary>The global firewall's rules.</summary>
    public async Task<IReadOnlyList<FirewallRule>> ListFirewallRulesAsync(CancellationToken cancellationToken = default)
        => (await Admin.ListFirewallRulesAsync(new ListFirewallRulesRequest(), cancellationToken: cancellationToken)).Rules;

    /// <summary>Adds a firewall rule of <paramref name="type"/> "ip", "cidr" or "country"; returns it as stored.</summary>
    public async Task<FirewallRule> AddFirewallRuleAsync(string type, string value, CancellationToken cancellationToken = default)
        => (await Admin.AddFirewallRuleAsync(new AddFirewallRuleRequest { Rule = new FirewallRule { Type = type, Value = value } }, cancellationToken: cancellationToken)).Rule;

    /// <summary>Removes a firewall rule.</summary>
    public async Task RemoveFirewallRuleAsync(string type, string value, CancellationToken cancellationToken = default)
        => await Admin.RemoveFirewallRuleAsync(new RemoveFirewallRuleRequest { Rule = new FirewallRule { Type = type, Value = value } }, cancellationToken: cancellationToken);

    /// <summary>The L7 policies of a route, in evaluation order.</summary>
    public async Task<IReadOnlyList<L7Policy>> ListL7PoliciesAsync(string listenerAddr, string hostname, CancellationToken cancellationToken = default)
        => (await Admin.ListL7PoliciesAsync(new ListL7PoliciesRequest { ListenerAddr = listenerAddr, Hostname = hostname }, cancellationToken: cancellationToken)).Policies;

    /// <summary>Appends a policy of <paramref name="type"/> "block_user_agent" or "require_header" to an l7 route.</summary>
    public async Task AddL7PolicyAsync(string listenerAddr, string hostname, string type, string value, CancellationToken cancellationToken = default)
        => await Admin.AddL7PolicyAsync(
            new AddL7PolicyRequest { ListenerAddr = listenerAddr, Hostname = hostname, Policy = new L7Policy { Type = type, Value = value } },
            cancellationToken: cancellationToken);

    /// <summary>Removes a policy from a route.</summary>
    public async Task RemoveL7PolicyAsync(string listenerAddr, string hostname, string type, string value, CancellationToken cancellationToken = default)
        => await Admin.RemoveL7PolicyAsync(
            new RemoveL7PolicyRequest { ListenerAddr = listenerAddr, Hostname = hostname, Policy = new L7Policy { Type = type, Value = value } },
            cancellationToken: cancellationToken);

    /// <summary>The listener's route for <paramref name="hostname"/>, with its backends' status; NotFound when there is none.</summary>
    public async Task<Route> GetRouteAsync(string listenerAddr, string hostname, CancellationToken cancellationToken = default)
    {
        var routes = await ListRoutesAsync(listenerAddr, cancellationToken);
        var wanted = hostname.Trim().TrimEnd('.');
        return routes.FirstOrDefault(r => string.Equals(r.Hostname, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"hostname: listener {listenerAddr} has no route {hostname}"));
    }

    /// <summary>
    /// The live status of each backend of a route's pool (admin state, health, active connections), in the route's
    /// order; NotFound when the listener has no such route.
    /// </summary>
    public async Task<IReadOnlyList<BackendStatus>> ListBackendsAsync(string listenerAddr, string hostname, CancellationToken cancellationToken = default)
        => (await GetRouteAsync(listenerAddr, hostname, cancellationToken)).BackendStatus;

    /// <summary>
    /// Sets backend <paramref name="backend"/> of a route to <paramref name="state"/>: "enabled", "drain" (no new
    /// connections while open ones finish) or "disabled". Returns the backend's status.
    /// </summary>
    public async Task<BackendStatus> SetBackendStateAsync(string listenerAddr, string hostname, string backend, string state, CancellationToken cancellationToken = default)
        => (await Admin.SetBackendStateAsync(
            new SetBackendStateRequest { ListenerAddr = listenerAddr, Hostname = hostname, Backend = backend, State = state },
            cancellationToken: cancellationToken)).Backend;

    /// <summary>The standard health check of the whole server ("" service): Serving when its store answers.</summary>
    public async Task<HealthCheckResponse.Types.ServingStatus> CheckHealthAsync(CancellationToken cancellationToken = default)
        => (await Health.CheckAsync(new HealthCheckRequest(), cancellationToken: cancellationToken)).Status;

    /// <summary>Closes the channel.</summary>
    public void Dispose() => _channel.Dispose();

    private static bool Validate(X509Certificate2 certificate, SslPolicyErrors errors, X509Certificate2[] trusted, bool pinnedForAnyName)
    {
        if (trusted.Length == 0)
        {
            return errors == SslPolicyErrors.None;
        }

        if (trusted.Any(t => t.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span)))
        {
            return pinnedForAnyName || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        }

        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        // Chain to the given certificates only, never to the system store.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        return chain.Build(certificate);
    }
}
