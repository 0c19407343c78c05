using McProxy.Model;
using Microsoft.Data.Sqlite;

namespace McProxy.Store;

internal sealed class RouteRepository(Database database)
{
    private const string Columns = "id, listener_id, hostname, backend, mode, tls_cert, tls_key, backend_tls, backend_ca, backend_h2c, send_proxy_protocol";

    public IReadOnlyList<StoredRoute> List(long? listenerId = null) => database.Read(connection =>
    {
        using var command = listenerId is null
            ? connection.Command($"SELECT {Columns} FROM routes ORDER BY listener_id, hostname")
            : connection.Command($"SELECT {Columns} FROM routes WHERE listener_id = $l ORDER BY hostname").With("$l", listenerId);
        using var reader = command.ExecuteReader();
        var result = new List<StoredRoute>();
        while (reader.Read())
        {
            result.Add(Map(reader));
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

    /// <summary>Inserts the route, or replaces the options of the listener's route with the same hostname.</summary>
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

    public static long Upsert(SqliteConnection connection, SqliteTransaction transaction, StoredRoute route)
    {
        using var command = connection.Command(
            $"""
            INSERT INTO routes (listener_id, hostname, backend, mode, tls_cert, tls_key, backend_tls, backend_ca, backend_h2c, send_proxy_protocol)
            VALUES ($l, $h, $b, $m, $tc, $tk, $bt, $bca, $h2c, $spp)
            ON CONFLICT (listener_id, hostname) DO UPDATE SET
                backend = excluded.backend, mode = excluded.mode, tls_cert = excluded.tls_cert, tls_key = excluded.tls_key,
                backend_tls = excluded.backend_tls, backend_ca = excluded.backend_ca, backend_h2c = excluded.backend_h2c,
                send_proxy_protocol = excluded.send_proxy_protocol,
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
            .With("$spp", route.Route.SendProxyProtocol);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Sets the admin state of backend <paramref name="address"/> (as written in the route's backends) of route
    /// <paramref name="routeId"/>; false when the route has no such backend.
    /// </summary>
    public Task<bool> SetBackendStateAsync(long routeId, string address, BackendAdminState state, CancellationToken cancellationToken)
        => throw new NotImplementedException("route_backends: migration 5 (issue 16, store part)");

    private static StoredRoute Map(SqliteDataReader reader) => new(reader.GetInt64(0), reader.GetInt64(1), new RouteSettings
    {
        Hostname = reader.GetString(2),
        Backends = [reader.GetString(3)],
        Mode = reader.GetString(4) == "l7" ? RouteMode.L7 : RouteMode.L4,
        TlsCert = reader.GetString(5),
        TlsKey = reader.GetString(6),
        BackendTls = reader.GetBoolean(7),
        BackendCa = reader.GetString(8),
        BackendH2c = reader.GetBoolean(9),
        SendProxyProtocol = reader.GetBoolean(10),
    });
}
