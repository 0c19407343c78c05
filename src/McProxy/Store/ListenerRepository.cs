using Microsoft.Data.Sqlite;

namespace McProxy.Store;

internal sealed class ListenerRepository(Database database)
{
    private const string Columns = "id, addr, proxy_protocol, trusted_proxies, default_route, max_connections";

    public IReadOnlyList<StoredListener> List() => database.Read(connection =>
    {
        using var command = connection.Command($"SELECT {Columns} FROM listeners ORDER BY id");
        using var reader = command.ExecuteReader();
        var result = new List<StoredListener>();
        while (reader.Read())
        {
            result.Add(Map(reader));
        }

        return result;
    });

    public static long Insert(SqliteConnection connection, SqliteTransaction transaction, StoredListener listener)
    {
        using var command = connection.Command(
            "INSERT INTO listeners (addr, proxy_protocol, trusted_proxies, default_route, max_connections) VALUES ($addr, $pp, $tp, $dr, $mc) RETURNING id",
            transaction)
            .With("$addr", listener.Addr)
            .With("$pp", listener.ProxyProtocol)
            .With("$tp", string.Join(',', listener.TrustedProxies))
            .With("$dr", listener.DefaultRoute)
            .With("$mc", listener.MaxConnections);
        return (long)command.ExecuteScalar()!;
    }

    private static StoredListener Map(SqliteDataReader reader)
    {
        var trusted = reader.GetString(3);
        return new StoredListener(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.GetBoolean(2),
            trusted.Length == 0 ? [] : trusted.Split(','),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.GetInt32(5));
    }
}
