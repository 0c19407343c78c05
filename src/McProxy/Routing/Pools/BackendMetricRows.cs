using McProxy.Metrics;

namespace McProxy.Routing.Pools;

/// <summary>The per-backend metric rows of the live route tables, as a scrape reads them (<see cref="BackendMetrics"/>).</summary>
internal static class BackendMetricRows
{
    /// <summary>
    /// Every member of every route of every listener, from each listener's current snapshot: a removed route or backend
    /// is simply not there. Reads the members' counters; writes nothing.
    /// </summary>
    public static IEnumerable<BackendMetricRow> From(IReadOnlyList<ListenerState> listeners)
    {
        foreach (var listener in listeners)
        {
            foreach (var route in listener.Snapshot.Routes.Routes)
            {
                foreach (var member in route.Pool.Members)
                {
                    yield return new BackendMetricRow(
                        listener.Addr,
                        route.Hostname,
                        member.Address.ToString(),
                        member.IsUp,
                        member.AdminState,
                        member.ActiveConnections,
                        member.FailedConnects,
                        member.ChecksPassed,
                        member.ChecksFailed);
                }
            }
        }
    }
}
