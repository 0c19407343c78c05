using McProxy.Model;
using Prometheus;

namespace McProxy.Metrics;

/// <summary>
/// The per-backend instruments (SPEC §6), filled just before each scrape from a source of <see cref="BackendMetricRow"/>s
/// that the server sets once its routing state is loaded. A backend or route that is gone from the live tables is gone
/// from the next scrape: its series are removed, not left at their last value.
/// </summary>
internal sealed class BackendMetrics
{
    private static readonly string[] States = ["enabled", "drain", "disabled"];

    private readonly Lock _lock = new();
    private readonly Gauge _up;
    private readonly Gauge _adminState;
    private readonly Gauge _active;
    private readonly Counter _failedConnects;
    private readonly Counter _checks;
    private HashSet<(string Listener, string Route, string Backend)> _published = [];
    private Func<IEnumerable<BackendMetricRow>>? _source;

    public BackendMetrics(MetricFactory factory)
    {
        string[] labels = ["listener", "route", "backend"];
        _up = factory.CreateGauge("mcproxy_backend_up", "1 when the backend passes its health checks (or has none), 0 when they mark it down.", labels);
        _adminState = factory.CreateGauge("mcproxy_backend_admin_state", "The operator's state of the backend: 1 on the current one of enabled, drain, disabled.", [.. labels, "state"]);
        _active = factory.CreateGauge("mcproxy_backend_active_connections", "Connections (L4) or requests (L7) to the backend open now.", labels);
        _failedConnects = factory.CreateCounter("mcproxy_backend_failed_connects_total", "Connects to the backend that failed or timed out on the data path.", labels);
        _checks = factory.CreateCounter("mcproxy_backend_health_checks_total", "Active health checks of the backend, by result (passed, failed).", [.. labels, "result"]);
    }

    /// <summary>Where the rows come from: called at each scrape, under this object's lock.</summary>
    public void SetSource(Func<IEnumerable<BackendMetricRow>> source) => Volatile.Write(ref _source, source);

    /// <summary>Brings the instruments to the source's current rows; the registry calls it before each collect.</summary>
    public void Update()
    {
        if (Volatile.Read(ref _source) is not { } source)
        {
            return;
        }

        // Two scrapes at once must not interleave their removals with each other's sets.
        lock (_lock)
        {
            var seen = new HashSet<(string, string, string)>();
            foreach (var row in source())
            {
                if (!seen.Add((row.Listener, row.Route, row.Backend)))
                {
                    continue;
                }

                _up.WithLabels(row.Listener, row.Route, row.Backend).Set(row.Up ? 1 : 0);
                var current = BackendAdminStates.Name(row.AdminState);
                foreach (var state in States)
                {
                    _adminState.WithLabels(row.Listener, row.Route, row.Backend, state).Set(state == current ? 1 : 0);
                }

                _active.WithLabels(row.Listener, row.Route, row.Backend).Set(row.ActiveConnections);
                SetCounter(_failedConnects, row.FailedConnects, row.Listener, row.Route, row.Backend);
                SetCounter(_checks, row.ChecksPassed, row.Listener, row.Route, row.Backend, "passed");
                SetCounter(_checks, row.ChecksFailed, row.Listener, row.Route, row.Backend, "failed");
            }

            foreach (var (listener, route, backend) in _published)
            {
                if (!seen.Contains((listener, route, backend)))
                {
                    _up.RemoveLabelled(listener, route, backend);
                    _active.RemoveLabelled(listener, route, backend);
                    _failedConnects.RemoveLabelled(listener, route, backend);
                    foreach (var state in States)
                    {
                        _adminState.RemoveLabelled(listener, route, backend, state);
                    }

                    _checks.RemoveLabelled(listener, route, backend, "passed");
                    _checks.RemoveLabelled(listener, route, backend, "failed");
                }
            }

            _published = seen;
        }
    }

    /// <summary>
    /// A counter child brought to <paramref name="value"/>. The members' counts only grow, but a route re-configured
    /// with another health policy gets new members counting from zero: that is a counter reset, which Prometheus
    /// handles when the series starts again from zero.
    /// </summary>
    private static void SetCounter(Counter counter, long value, params string[] labels)
    {
        var child = counter.WithLabels(labels);
        if (value < child.Value)
        {
            counter.RemoveLabelled(labels);
            child = counter.WithLabels(labels);
        }

        child.IncTo(value);
    }
}
