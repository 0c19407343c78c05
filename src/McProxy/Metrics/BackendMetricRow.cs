using McProxy.Model;

namespace McProxy.Metrics;

/// <summary>
/// One pool member as a scrape sees it: plain values read from the live route tables at scrape time, so Metrics
/// needs no Routing type and the data path writes no per-backend instrument.
/// </summary>
internal readonly record struct BackendMetricRow(
    string Listener,
    string Route,
    string Backend,
    bool Up,
    BackendAdminState AdminState,
    int ActiveConnections,
    long FailedConnects,
    long ChecksPassed,
    long ChecksFailed);
