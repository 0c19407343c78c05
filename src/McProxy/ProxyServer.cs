using System.Net.Sockets;
using McProxy.Admin;
using McProxy.Config;
using McProxy.Firewall;
using McProxy.Http.Hosting;
using McProxy.Http.Policies;
using McProxy.Listener;
using McProxy.Metrics;
using McProxy.Net;
using McProxy.Relay;
using McProxy.Routing;
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
    private readonly Lock _firewallReload = new();
    private MetricsServer? _metricsServer;
    private L7Host? _l7Host;
    private AdminServer? _adminServer;
    private int _stopped;

    private ProxyServer(ProxyConfig config, ProxyStore store, ProxyServices services, FileWatcher files, ILogger logger)
    {
        _config = config;
        Store = store;
        Services = services;
        Files = files;
        _logger = logger;
        StartedAt = DateTimeOffset.UtcNow;
    }

    public ProxyStore Store { get; }

    public ProxyConfig Config => _config;

    public ProxyServices Services { get; }

    /// <summary>Checks the files re-read while running (certificates, backend_ca, geoip_db) at each of its ticks.</summary>
    public FileWatcher Files { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Where /metrics is served, when [metrics] is configured.</summary>
    public System.Net.IPEndPoint? MetricsEndPoint => _metricsServer?.EndPoint;

    /// <summary>Where the admin API is served, when [grpc] is configured.</summary>
    public System.Net.EndPoint? AdminEndPoint => _adminServer?.EndPoint;

    public IReadOnlyList<ListenerState> Listeners => _listeners.ConvertAll(l => l.State);

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
            server = new ProxyServer(config, store, services, new FileWatcher(fileCheckInterval, logger), logger);
            if (config.Firewall.GeoIpDb.Length > 0)
            {
                server.Files.Add(server.ReloadGeoIp);
            }

            server.ReloadFirewall();
            // Listeners first: an address in use refuses the start before anything else is serving.
            server.BindListeners();
            server._l7Host = await L7Host.StartAsync(settings, config.Tls, services.Metrics, l7Connections, server.Files, loggerFactory, cancellationToken);
            foreach (var route in store.Routes.List().Where(r => r.Mode == RouteMode.L7))
            {
                // Loaded now rather than at the first handshake (a route added later is loaded at its first one).
                server._l7Host.Certificates.Watch(route.TlsCert, route.TlsKey);
            }

            if (config.Metrics is { Addr.Length: > 0 } metrics)
            {
                server._metricsServer = await MetricsServer.StartAsync(metrics.Addr, services.Metrics.Registry, loggerFactory, cancellationToken);
            }

            server.Run();
            if (config.Grpc is { } grpc)
            {
                // A committed firewall change reaches the live firewall by a reload from the store.
                var admin = new ProxyAdmin(server, server.ReloadFirewall);
                try
                {
                    server._adminServer = await AdminServer.StartAsync(grpc, config.Tls, admin, store, loggerFactory, cancellationToken);
                }
                catch
                {
                    admin.Dispose();
                    throw;
                }
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
                firewall?.Dispose();
                store.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Re-reads the firewall rules from the store and swaps them in atomically: the next connection is checked
    /// against the new rules, established ones are not touched. A rule that cannot be applied (a country rule
    /// without geoip_db, a malformed row) is logged and left out; the others apply.
    /// </summary>
    public void ReloadFirewall()
    {
        FirewallRuleSet rules;
        // Serialized: two reloads racing could otherwise swap in the older read last.
        lock (_firewallReload)
        {
            rules = Services.Firewall.Update(Store.FirewallRules.List());
        }

        foreach (var error in rules.Errors)
        {
            Log.FirewallRuleIgnored(_logger, error);
        }

        Log.FirewallLoaded(_logger, rules.Count, Services.Firewall.RateLimiter?.Limit ?? 0, _config.Firewall.RateWindow.TotalSeconds);
    }

    /// <summary>The live state of the listener named <paramref name="addr"/> (as configured), or null.</summary>
    public ListenerState? FindListener(string addr)
        => _listeners.Find(l => string.Equals(l.State.Addr, addr, StringComparison.OrdinalIgnoreCase))?.State;

    private void BindListeners()
    {
        var routesByListener = Store.Routes.List().ToLookup(r => r.ListenerId);
        var policies = Store.L7Policies.List().ToLookup(p => p.RouteId);
        foreach (var listener in Store.Listeners.List())
        {
            if (!ListenAddress.TryParse(listener.Addr, out var endPoint, out var error))
            {
                throw new InvalidOperationException($"listener {listener.Addr} in the database: {error}");
            }

            var entries = new List<RouteEntry>();
            foreach (var route in routesByListener[listener.Id])
            {
                entries.Add(new RouteEntry(route));
                if (route.Mode == RouteMode.L7 && route.BackendTls && route.BackendCa.Length == 0)
                {
                    Log.BackendUnverified(_logger, listener.Addr, route.Hostname);
                }
            }

            var state = new ListenerState(listener, endPoint, new RouteTable(entries, listener.DefaultRoute), Services.Metrics.ForListener(listener.Addr));
            state.UpdatePolicies(_ => L7PolicyTable.Create(routesByListener[listener.Id]
                .Select(r => KeyValuePair.Create(r.Hostname, policies[r.Id]))));
            try
            {
                _listeners.Add(ProxyListener.Bind(state, Services, _logger));
            }
            catch (SocketException e)
            {
                var reason = e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "address already in use" : e.Message;
                throw new InvalidOperationException($"cannot listen on {listener.Addr}: {reason}", e);
            }

            Log.ListenerLoaded(_logger, listener.Addr, entries.Count);
        }
    }

    private void Run()
    {
        foreach (var listener in _listeners)
        {
            _acceptLoops.Add(Task.Run(listener.AcceptLoopAsync));
        }

        _loops.AddRange(_acceptLoops);
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
        Services.Firewall.Dispose();
        Store.Dispose();
    }
}
