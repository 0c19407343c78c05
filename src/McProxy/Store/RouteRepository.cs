using McProxy.Model;
using Microsoft.Data.Sqlite;

namespace McProxy.Store;

internal sealed class RouteRepository(Database database)
{
    private const string Columns = "id, listener_id, hostname, mode, tls_cert, tls_key, backend_tls, backend_ca, backend_h2c, send_proxy_protocol, balance, health_check";

    /// <summary>The routes with their pools (backends in configured order, each with its admin state).</summary>
    public IReadOnlyList<StoredRoute> List(long? listenerId = null) => database.Read(connection =>
    {
        // Read in the one connection, so routes and pools come from the same state of the file.
        var pools = ReadPools(connection, listenerId);
        using var command = listenerId is null
            ? connection.Command($"SELECT {Columns} FROM routes ORDER BY listener_id, hostname")
            : connection.Command($"SELECT {Columns} FROM routes WHERE listener_id = $l ORDER BY hostname").With("$l", listenerId);
        using var reader = command.ExecuteReader();
        var result = new List<StoredRoute>();
        while (reader.Read())
        {
            result.Add(Map(reader, pools));
        }

        return result;
    });

    /// <summary>The route's id, or null when the listener has no route for <paramref name="hostname"/>.</summary>
    public long? GetRouteId(long listenerId, string hostname) => database.Read(connection =>
    {
        using var command = connection.Command("SELECT id FROM routes WHERE listener_id = $l AND hostname = $h")
            .With("$l", listenerId)
            .With("$h", hostname);
        return command.ExecuteScalar() is long id ? id : (long?)null;
    });

    /// <summary>
    /// Inserts the route, or replaces the options of the listener's route with the same hostname, with its pool, in
    /// one transaction (see <see cref="Upsert"/>).
    /// </summary>
    public Task<StoredRoute> UpsertAsync(StoredRoute route, CancellationToken cancellationToken = default)
        => database.WriteAsync((connection, transaction) => route with { Id = Upsert(connection, transaction, route) }, cancellationToken);

    /// <summary>True when a route was deleted (its policies go with it, by cascade).</summary>
    public Task<bool> DeleteAsync(long listenerId, string hostname, CancellationToken cancellationToken = default)
        => database.WriteAsync((connection, transaction) =>
        {
            using var command = connection.Command("DELETE FROM routes WHERE listener_id = $l AND hostname = $h", transaction)
                .With("$l", listenerId)
                .With("$h", hostname);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);

    /// <summary>
    /// Writes the route and its pool: the backends in configured order; a backend the route had already keeps its
    /// admin state (a drain survives a route update), a new one starts enabled, one no longer listed is deleted.
    /// </summary>
    public static long Upsert(SqliteConnection connection, SqliteTransaction transaction, StoredRoute route)
    {
        var routeId = UpsertRoute(connection, transaction, route);
        WritePool(connection, transaction, routeId, route.Route.Backends);
        return routeId;
    }

    private static long UpsertRoute(SqliteConnection connection, SqliteTransaction transaction, StoredRoute route)
    {
        using var command = connection.Command(
            $"""
            INSERT INTO routes (listener_id, hostname, backend, mode, tls_cert, tls_key, backend_tls, backend_ca, backend_h2c, send_proxy_protocol, balance, health_check)
            VALUES ($l, $h, $b, $m, $tc, $tk, $bt, $bca, $h2c, $spp, $bal, $hc)
            ON CONFLICT (listener_id, hostname) DO UPDATE SET
                backend = excluded.backend, mode = excluded.mode, tls_cert = excluded.tls_cert, tls_key = excluded.tls_key,
                backend_tls = excluded.backend_tls, backend_ca = excluded.backend_ca, backend_h2c = excluded.backend_h2c,
                send_proxy_protocol = excluded.send_proxy_protocol, balance = excluded.balance, health_check = excluded.health_check,
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            RETURNING id
            """,
            transaction)
            .With("$l", route.ListenerId)
            .With("$h", route.Route.Hostname)
            .With("$b", route.Route.Backend)
            .With("$m", route.Route.Mode == RouteMode.L7 ? "l7" : "l4")
            .With("$tc", route.Route.TlsCert)
            .With("$tk", route.Route.TlsKey)
            .With("$bt", route.Route.BackendTls)
            .With("$bca", route.Route.BackendCa)
            .With("$h2c", route.Route.BackendH2c)
            .With("$spp", route.Route.SendProxyProtocol)
            .With("$bal", RouteRules.BalanceName(route.Route.Balance))
            .With("$hc", route.Route.HealthCheck.ToString());
        return (long)command.ExecuteScalar()!;
    }

    private static void WritePool(SqliteConnection connection, SqliteTransaction transaction, long routeId, IReadOnlyList<string> backends)
    {
        var existing = new List<string>();
        using (var select = connection.Command("SELECT address FROM route_backends WHERE route_id = $r", transaction).With("$r", routeId))
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                existing.Add(reader.GetString(0));
            }
        }

        foreach (var backend in backends)
        {
            // The same backend written another way ("[0::1]:80" for "[::1]:80", another case): the live member is
            // kept (RouteEntry finds it by the same rule), so its row is too, renamed, with its admin state.
            if (!existing.Contains(backend, StringComparer.Ordinal)
                && existing.FirstOrDefault(a => !backends.Contains(a, StringComparer.Ordinal) && RouteRules.SameBackendKey(a) == RouteRules.SameBackendKey(backend)) is { } written)
            {
                using var rename = connection.Command("UPDATE route_backends SET address = $n WHERE route_id = $r AND address = $a", transaction)
                    .With("$n", backend)
                    .With("$r", routeId)
                    .With("$a", written);
                rename.ExecuteNonQuery();
                existing[existing.IndexOf(written)] = backend;
            }
        }

        foreach (var gone in existing.Where(a => !backends.Contains(a, StringComparer.Ordinal)))
        {
            using var delete = connection.Command("DELETE FROM route_backends WHERE route_id = $r AND address = $a", transaction)
                .With("$r", routeId)
                .With("$a", gone);
            delete.ExecuteNonQuery();
        }

        for (var position = 0; position < backends.Count; position++)
        {
            // A backend that stays takes its new position and keeps its admin state.
            using var upsert = connection.Command(
                """
                INSERT INTO route_backends (route_id, address, position) VALUES ($r, $a, $p)
                ON CONFLICT (route_id, address) DO UPDATE SET position = excluded.position
                """,
                transaction)
                .With("$r", routeId)
                .With("$a", backends[position])
                .With("$p", position);
            upsert.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Sets the admin state of backend <paramref name="address"/> (as written in the route's backends) of route
    /// <paramref name="routeId"/>; false when the route has no such backend.
    /// </summary>
    public Task<bool> SetBackendStateAsync(long routeId, string address, BackendAdminState state, CancellationToken cancellationToken)
        => database.WriteAsync((connection, transaction) =>
        {
            using var command = connection.Command("UPDATE route_backends SET admin_state = $s WHERE route_id = $r AND address = $a", transaction)
                .With("$s", BackendAdminStates.Name(state))
                .With("$r", routeId)
                .With("$a", address);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);

    /// <summary>Every pool (of one listener's routes, or of all), by route id: backends by position, with their states.</summary>
    private static Dictionary<long, List<(string Address, BackendAdminState State)>> ReadPools(SqliteConnection connection, long? listenerId)
    {
        const string Select = "SELECT b.route_id, b.address, b.admin_state FROM route_backends b";
        using var command = listenerId is null
            ? connection.Command($"{Select} ORDER BY b.route_id, b.position")
            : connection.Command($"{Select} JOIN routes r ON r.id = b.route_id WHERE r.listener_id = $l ORDER BY b.route_id, b.position").With("$l", listenerId);
        using var reader = command.ExecuteReader();
        var pools = new Dictionary<long, List<(string, BackendAdminState)>>();
        while (reader.Read())
        {
            var routeId = reader.GetInt64(0);
            if (!pools.TryGetValue(routeId, out var pool))
            {
                pools[routeId] = pool = [];
            }

            // The CHECK constraint allows only the three names.
            pool.Add((reader.GetString(1), BackendAdminStates.Parse(reader.GetString(2)) ?? BackendAdminState.Enabled));
        }

        return pools;
    }

    private static StoredRoute Map(SqliteDataReader reader, Dictionary<long, List<(string Address, BackendAdminState State)>> pools)
    {
        var id = reader.GetInt64(0);
        var pool = pools.TryGetValue(id, out var found) ? found : throw new InvalidOperationException($"route {reader.GetString(2)} (id {id}) has no backends in route_backends");
        return new StoredRoute(id, reader.GetInt64(1), new RouteSettings
        {
            Hostname = reader.GetString(2),
            Backends = pool.ConvertAll(b => b.Address),
            Mode = reader.GetString(3) == "l7" ? RouteMode.L7 : RouteMode.L4,
            TlsCert = reader.GetString(4),
            TlsKey = reader.GetString(5),
            BackendTls = reader.GetBoolean(6),
            BackendCa = reader.GetString(7),
            BackendH2c = reader.GetBoolean(8),
            SendProxyProtocol = reader.GetBoolean(9),
            Balance = RouteRules.ParseBalance(reader.GetString(10)) ?? BalanceAlgorithm.LeastConnections,
            HealthCheck = HealthCheckSetting.Parse(reader.GetString(11)) ?? HealthCheckSetting.None,
        })
        {
            BackendStates = pool.ToDictionary(b => b.Address, b => b.State, StringComparer.Ordinal),
        };
    }
}
