namespace McProxy.Store;

/// <summary>The database and its repositories, one per table.</summary>
internal sealed class ProxyStore : IDisposable
{
    private ProxyStore(Database database)
    {
        Database = database;
        Listeners = new ListenerRepository(database);
        Routes = new RouteRepository(database);
        FirewallRules = new FirewallRuleRepository(database);
        L7Policies = new L7PolicyRepository(database);
    }

    public Database Database { get; }

    public ListenerRepository Listeners { get; }

    public RouteRepository Routes { get; }

    public FirewallRuleRepository FirewallRules { get; }

    public L7PolicyRepository L7Policies { get; }

    public static ProxyStore Open(string path) => new(Database.Open(path));

    public void Dispose() => Database.Dispose();
}
