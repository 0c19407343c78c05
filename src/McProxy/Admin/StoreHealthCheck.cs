using McProxy.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace McProxy.Admin;

/// <summary>Healthy while the database answers a query: the admin API cannot do anything useful without it.</summary>
internal sealed class StoreHealthCheck(ProxyStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var version = store.Database.SchemaVersion;
            return Task.FromResult(HealthCheckResult.Healthy($"schema version {version}"));
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException or IOException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("store unavailable", e));
        }
    }
}
