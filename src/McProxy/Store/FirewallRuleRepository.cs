using Microsoft.Data.Sqlite;

namespace McProxy.Store;

internal sealed class FirewallRuleRepository(Database database)
{
    public IReadOnlyList<StoredFirewallRule> List() => database.Read(connection =>
    {
        using var command = connection.Command("SELECT id, type, value FROM firewall_rules ORDER BY type, value");
        using var reader = command.ExecuteReader();
        var result = new List<StoredFirewallRule>();
        while (reader.Read())
        {
            result.Add(new StoredFirewallRule(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }

        return result;
    });

    /// <summary>Adds the rule; adding one that exists is a no-op (false).</summary>
    public Task<bool> AddAsync(string type, string value, CancellationToken cancellationToken = default)
        => database.WriteAsync((connection, transaction) => Insert(connection, transaction, type, value), cancellationToken);

    public Task<bool> RemoveAsync(string type, string value, CancellationToken cancellationToken = default)
        => database.WriteAsync((connection, transaction) =>
        {
            using var command = connection.Command("DELETE FROM firewall_rules WHERE type = $t AND value = $v", transaction)
                .With("$t", type)
                .With("$v", value);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);

    public static bool Insert(SqliteConnection connection, SqliteTransaction transaction, string type, string value)
    {
        using var command = connection.Command("INSERT INTO firewall_rules (type, value) VALUES ($t, $v) ON CONFLICT DO NOTHING", transaction)
            .With("$t", type)
            .With("$v", value);
        return command.ExecuteNonQuery() > 0;
    }
}
