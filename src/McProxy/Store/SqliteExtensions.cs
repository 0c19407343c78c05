using Microsoft.Data.Sqlite;

namespace McProxy.Store;

internal static class SqliteExtensions
{
    public static SqliteCommand Command(this SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>SQLite's constraint errors (UNIQUE, CHECK, FOREIGN KEY) are the caller's bad input, not a failure of the store.</summary>
    public static bool IsConstraintViolation(this SqliteException e) => e.SqliteErrorCode == 19;
}
