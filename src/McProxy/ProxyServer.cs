using System.Net.Security;
using System.Net.Sockets;
using McProxy.Admin;
using McProxy.Config;
using McProxy.Firewall;
using McProxy.Http.Hosting;
using McProxy.Http.Tls;
using McProxy.Listener;
using McProxy.Metrics;
using McProxy.Model;
using McProxy.Net;
using McProxy.Relay;
using McProxy.Routing;
using McProxy.Routing.Pools;
using McProxy.Store;

namespace McProxy;

/// <summary>
/// The running proxy: opens and seeds the store, loads the live state from it, binds every listener, runs the
/// accept loops and the deadline sweeper, and drains on stop.
/// </summary>
internal sealed partial class ProxyServer : IAsyncDisposable
{
    private readonly ProxyConfig _config;
    private readonly ILogger _logger;
    private readonly List<ProxyListener> _listeners = [];
    private readonly List<Task> _loops = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly CancellationTokenSource _stopping = new();
    private MetricsServer? _metricsServer;
    private L7Host? _l7Host;
    private AdminServer? _adminServer;
    private RouteHealthChecks? _healthChecks;
    private int _stopped;

    private ProxyServer(ProxyConfig config, ProxyStore store, RoutingState routing, ProxyServices services, FileWatcher files, HealthChecker health, ILogger logger)
    {
        _config = config;
        Health = health;
        Store = store;
        Routing = routing;
        Services = services;
        Files = files;
        _logger = logger;
        StartedAt = DateTimeOffset.UtcNow;
    }

    public ProxyStore Store { get; }

    /// <summary>The live state (listeners' routes and policies, firewall rules), which every change goes through.</summary>
    public RoutingState Routing { get; }

    public ProxyConfig Config => _config;

    public ProxyServices Services { get; }

    /// <summary>Checks the files re-read while running (certificates, backend_ca, geoip_db) at each of its ticks.</summary>
    public FileWatcher Files { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The active health checks of every route's pool that has one (<c>[proxy] health_interval</c>, <c>health_timeout</c>).</summary>
    public HealthChecker Health { get; }

    /// <summary>Which routes' pools are registered with <see cref="Health"/>; follows every swap of the routes.</summary>
    internal RouteHealthChecks? HealthChecks => _healthChecks;

    /// <summary>Where /metrics is served, when [metrics] is configured.</summary>
    public System.Net.IPEndPoint? MetricsEndPoint => _metricsServer?.EndPoint;

    /// <summary>Where the admin API is served, when [grpc] is configured.</summary>
    public System.Net.EndPoint? AdminEndPoint => _adminServer?.EndPoint;

    public static Task<ProxyServer> StartAsync(ProxyConfig config, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
        => StartAsync(config, loggerFactory, seed: false, cancellationToken);

    /// <summary>
    /// Starts the server. What is on disk is checked before anything is created, bound or written: the admin
    /// socket's path, then the database (a newer schema, a file that is not a database, and a missing or empty
    /// database while snapshots exist are refused). <paramref name="seed"/> seeds a missing or empty database from
    /// the config even when snapshots exist.
    /// </summary>
    public static Task<ProxyServer> StartAsync(ProxyConfig config, ILoggerFactory loggerFactory, bool seed, CancellationToken cancellationToken)
        => StartAsync(config, loggerFactory, seed, FileWatcher.DefaultInterval, cancellationToken);

    /// <summary>As above, checking the files it re-reads every <paramref name="fileCheckInterval"/> (tests shorten or lengthen it).</summary>
    internal static async Task<ProxyServer> StartAsync(ProxyConfig config, ILoggerFactory loggerFactory, bool seed, TimeSpan fileCheckInterval, CancellationToken cancellationToken)
    {
        try
        {
            return await StartCoreAsync(config, loggerFactory, seed, fileCheckInterval, cancellationToken);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            throw Database.Error(config.Database.Path, e);
        }
    }

    private static async Task<ProxyServer> StartCoreAsync(ProxyConfig config, ILoggerFactory loggerFactory, bool seed, TimeSpan fileCheckInterval, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("McProxy.Server");
        foreach (var warning in config.Warnings)
        {
            Log.ConfigWarning(logger, warning);
        }

        if (config.Grpc is { IsUnixSocket: true } unixGrpc)
        {
            AdminSocketFile.Check(unixGrpc.Addr, unixGrpc.UnixSocketPath);
        }

        var databasePath = config.Database.Path;
        if (Database.IsMissingOrEmpty(databasePath) && !seed && Snapshot.Newest(databasePath) is { } newest)
        {
            throw new StartRefusedException(
                $"database {databasePath} is {(File.Exists(databasePath) ? "empty" : "missing")} and {Snapshot.BackupDirectory(databasePath)} holds snapshots; "
                + $"it is not seeded from the config, which would drop every change made since. Restore the newest, {newest} "
                + $"(cp {newest} {databasePath}, then start), or start with `mc-proxy server --seed` to seed from the config anyway");
        }

        var store = ProxyStore.Open(databasePath);
        ProxyServer? server = null;
        GlobalFirewall? firewall = null;
        RoutingState? routing = null;
        HealthChecker? health = null;
        try
        {
            if (await Seeder.SeedIfEmptyAsync(store.Database, config, cancellationToken))
            {
                Log.Seeded(logger, config.Database.Path);
            }
            else
            {
                Log.SeedSkipped(logger, config.Database.Path);
            }

            var settings = config.Proxy;
            var shortest = new[] { settings.HelloTimeout, settings.ConnectTimeout, settings.IdleTimeout }.Min();
            firewall = GlobalFirewall.Create(config.Firewall);
            var l7Connections = new L7ConnectionQueue();
            var services = new ProxyServices(
                settings, new ConnectionTracker(settings.MaxConnections, shortest), loggerFactory,
                new L4RelayTarget(settings.ConnectTimeout), new L7HandOffTarget(l7Connections), firewall);
            // Before the routes: their members log their health changes through it from the first load on.
            health = new HealthChecker(HealthSettings.CheckerOptions(settings), loggerFactory.CreateLogger("McProxy.Health"));
            // Every firewall rule change, this first load included, reaches the live firewall through the routing state.
            routing = RoutingState.Load(
                store, services.Metrics, rules => ApplyFirewallRules(services.Firewall, rules, config.Firewall, logger),
                HealthSettings.Policy(settings), health.LogTransition);
            var live = routing;
            services.Metrics.Backends.SetSource(() => BackendMetricRows.From(live.Listeners));
            server = new ProxyServer(config, store, routing, services, new FileWatcher(fileCheckInterval, logger), health, logger);
            if (config.Firewall.GeoIpDb.Length > 0)
            {
                server.Files.Add(server.ReloadGeoIp);
            }

            // Listeners first: an address in use refuses the start before anything else is serving.
            server.BindListeners();
            server._l7Host = await L7Host.StartAsync(settings, config.Tls, services.Metrics, l7Connections, server.Files, loggerFactory, cancellationToken);
            // Certificates are loaded now, and a route added later has its own loaded before it is committed: no
            // handshake reads a file.
            var certificates = server._l7Host.Certificates;
            routing.PrepareRoute = route => WatchCertificate(certificates, route);
            foreach (var listener in routing.Listeners)
            {
                foreach (var entry in listener.Snapshot.Routes.Routes)
                {
                    WatchCertificate(certificates, entry.Route);
                }
            }

            // The pools of routes with a check are registered now and follow every swap; the checks start with Run.
            server._healthChecks = new RouteHealthChecks(health, server.CheckFor);
            foreach (var listener in routing.Listeners)
            {
                server._healthChecks.Follow(listener);
            }

            if (config.Metrics is { Addr.Length: > 0 } metrics)
            {
                server._metricsServer = await MetricsServer.StartAsync(metrics.Addr, services.Metrics.Registry, loggerFactory, cancellationToken);
            }

            server.Run();
            if (config.Grpc is { } grpc)
            {
                var admin = new ProxyAdmin(routing, server.StartedAt, countryRulesAllowed: config.Firewall.GeoIpDb.Length > 0);
                server._adminServer = await AdminServer.StartAsync(grpc, config.Tls, admin, store, loggerFactory, cancellationToken);
            }

            return server;
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
            else
            {
                routing?.Dispose();
                if (health is not null)
                {
                    await health.DisposeAsync();
                }

                firewall?.Dispose();
                store.Dispose();
            }

            throw;
        }
    }

    private static void WatchCertificate(CertificateStore certificates, RouteSettings route)
    {
        if (route.Mode == RouteMode.L7)
        {
            certificates.Watch(route.TlsCert, route.TlsKey);
        }
    }

    /// <summary>
    /// Swaps <paramref name="rules"/> into the live firewall atomically: the next connection is checked against the
    /// new rules, established ones are not touched. A rule that cannot be applied (a country rule without geoip_db, a
    /// malformed row) is logged and left out; the others apply. Called by <see cref="RoutingState"/>, at load and
    /// under its mutation lock, so two swaps never race.
    /// </summary>
    private static void ApplyFirewallRules(GlobalFirewall firewall, IReadOnlyList<FirewallRule> rules, FirewallConfig config, ILogger logger)
    {
        var applied = firewall.Update(rules);
        foreach (var error in applied.Errors)
        {
            Log.FirewallRuleIgnored(logger, error);
        }

        Log.FirewallLoaded(logger, applied.Count, firewall.RateLimiter?.Limit ?? 0, config.RateWindow.TotalSeconds);
    }

    /// <summary>
    /// A route's active check: a TCP connect, or a GET of its path with the route's hostname as Host and TLS server
    /// name, over the route's backend protocol and judged by its backend certificate policy, as its requests are.
    /// </summary>
    private HealthCheck CheckFor(RouteEntry entry)
    {
        var route = entry.Route;
        if (route.HealthCheck.Mode != HealthCheckMode.Http)
        {
            return HealthCheck.Tcp;
        }

        var protocol = route.BackendTls ? BackendProtocol.Tls : route.BackendH2c ? BackendProtocol.H2c : BackendProtocol.Http1;
        RemoteCertificateValidationCallback? validate = null;
        if (route.BackendTls)
        {
            try
            {
                validate = _l7Host?.Backends.CertificatePolicyFor(route);
            }
            catch (InvalidOperationException e)
            {
                // backend_ca unreadable: the route's requests fail their handshakes too, so its checks do.
                Log.HealthCheckCaUnreadable(_logger, route.Hostname, e.Message);
                validate = static (_, _, _, _) => false;
            }
        }

        // A wildcard route's checks name its parent domain: "*.example.com" is no Host a backend could serve.
        var host = entry.IsWildcard ? route.Hostname[2..] : route.Hostname;
        return HealthCheck.Http(route.HealthCheck.Path, host, protocol, validate);
    }

    private void BindListeners()
    {
        foreach (var state in Routing.Listeners)
        {
            var routes = state.Snapshot.Routes.Routes;
            foreach (var route in routes)
            {
                if (route.Mode == RouteMode.L7 && route.Route.BackendTls && route.Route.BackendCa.Length == 0)
                {
                    Log.BackendUnverified(_logger, state.Addr, route.Hostname);
                }
            }

            try
            {
                _listeners.Add(ProxyListener.Bind(state, Services, _logger));
            }
            catch (SocketException e)
            {
                var reason = e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "address already in use" : e.Message;
                throw new InvalidOperationException($"cannot listen on {state.Addr}: {reason}", e);
            }

            Log.ListenerLoaded(_logger, state.Addr, routes.Count);
        }
    }

    private void Run()
    {
        foreach (var listener in _listeners)
        {
            _acceptLoops.Add(Task.Run(listener.AcceptLoopAsync));
        }

        _loops.AddRange(_acceptLoops);
        Health.Start();
        _loops.Add(Task.Run(() => Services.Tracker.RunSweeperAsync(_stopping.Token)));
        _loops.Add(Task.Run(() => Files.RunAsync(_stopping.Token)));
    }

    /// <summary>The watcher's check of geoip_db: picks up a replaced database (geoipupdate) without a restart.</summary>
    private void ReloadGeoIp()
    {
        if (Services.Firewall.ReloadGeoIpIfChanged(out var error))
        {
            Log.GeoIpReloaded(_logger, _config.Firewall.GeoIpDb, Services.Firewall.GeoIpBuildDate);
        }
        else if (error is not null)
        {
            Log.GeoIpReloadFailed(_logger, error);
        }
    }

    /// <summary>Stops accepting, lets open connections finish for up to shutdown_timeout, then closes the rest.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // No admin changes while draining, and the socket file goes with the server.
        if (_adminServer is not null)
        {
            await _adminServer.DisposeAsync();
        }

        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        // A socket accepted just before is counted by the drain once its loop has started the connection.
        await Task.WhenAll(_acceptLoops);
        // No check from here on: the members' health stands as it is for the connections still draining. The checks
        // in flight end within health_timeout, awaited with the drain.
        _healthChecks?.Stop();
        var healthStopped = Health.DisposeAsync().AsTask();
        var open = Services.Tracker.Count;
        Log.Draining(_logger, open, _config.Proxy.ShutdownTimeout.TotalSeconds);
        // Kestrel asks its L7 connections to finish (HTTP/2 GOAWAY, HTTP/1.1 close after the response) while the
        // tracker waits for every connection, L4 and L7 alike.
        using var l7Deadline = new CancellationTokenSource(_config.Proxy.ShutdownTimeout);
        var l7Stopped = _l7Host?.StopAsync(l7Deadline.Token) ?? Task.CompletedTask;
        if (!await Services.Tracker.WaitForDrainAsync(_config.Proxy.ShutdownTimeout))
        {
            Log.DrainTimedOut(_logger, Services.Tracker.Count);
            Services.Tracker.AbortAll(ConnectionOutcome.Shutdown);
            await Services.Tracker.WaitForDrainAsync(TimeSpan.FromSeconds(5));
        }

        await l7Deadline.CancelAsync();
        await l7Stopped;
        if (_l7Host is not null)
        {
            await _l7Host.DisposeAsync();
        }

        await healthStopped;
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        if (_metricsServer is not null)
        {
            await _metricsServer.DisposeAsync();
        }

        Log.Stopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
        Routing.Dispose();
        Services.Firewall.Dispose();
        Store.Dispose();
    }
}
