using Microsoft.Data.Sqlite;

namespace McProxy.Store;

internal sealed class L7PolicyRepository(Database database)
{
    public IReadOnlyList<StoredL7Policy> List(long? routeId = null) => database.Read(connection =>
    {
        using var command = routeId is null
            ? connection.Command("SELECT id, route_id, type, value FROM l7_policies ORDER BY route_id, id")
            : connection.Command("SELECT id, route_id, type, value FROM l7_policies WHERE route_id = $r ORDER BY id").With("$r", routeId);
        using var reader = command.ExecuteReader();
        var result = new List<StoredL7Policy>();
        while (reader.Read())
        {
            result.Add(new StoredL7Policy(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3)));
        }

        return result;
    });

    /// <summary>Creates the policy; a duplicate (same route, type and value) throws a constraint <see cref="SqliteException"/>.</summary>
    public Task<StoredL7Policy> CreateAsync(long routeId, string type, string value, CancellationToken cancellationToken = default)
        => database.WriteAsync((connection, transaction) => new StoredL7Policy(Insert(connection, transaction, routeId, type, value), routeId, type, value), cancellationToken);

    public Task<bool> DeleteAsync(long routeId, string type, string value, CancellationToken cancellationToken = default)
        => database.WriteAsync((connection, transaction) =>
        {
            using var command = connection.Command("DELETE FROM l7_policies WHERE route_id = $r AND type = $t AND value = $v", transaction)
                .With("$r", routeId)
                .With("$t", type)
                .With("$v", value);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);

    public static long Insert(SqliteConnection connection, SqliteTransaction transaction, long routeId, string type, string value)
    {
        using var command = connection.Command("INSERT INTO l7_policies (route_id, type, value) VALUES ($r, $t, $v) RETURNING id", transaction)
            .With("$r", routeId)
            .With("$t", type)
            .With("$v", value);
        return (long)command.ExecuteScalar()!;
    }
}
