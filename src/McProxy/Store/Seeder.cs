using McProxy.Config;

namespace McProxy.Store;

/// <summary>Fills an empty database from the config, in one transaction; a database with listeners is left alone.</summary>
internal static class Seeder
{
    /// <summary>True when the database was empty and has been seeded.</summary>
    public static Task<bool> SeedIfEmptyAsync(Database database, ProxyConfig config, CancellationToken cancellationToken = default)
        => database.WriteAsync((connection, transaction) =>
        {
            using (var count = connection.Command("SELECT (SELECT COUNT(*) FROM listeners) + (SELECT COUNT(*) FROM firewall_rules)", transaction))
            {
                if ((long)count.ExecuteScalar()! > 0)
                {
                    return false;
                }
            }

            foreach (var listener in config.Listeners)
            {
                var listenerId = ListenerRepository.Insert(connection, transaction, new StoredListener(
                    0, listener.Addr, listener.ProxyProtocol, listener.TrustedProxies, listener.DefaultRoute, listener.MaxConnections));
                foreach (var route in listener.Routes)
                {
                    var routeId = RouteRepository.Upsert(connection, transaction, StoredRoute.From(route.Route, listenerId));
                    foreach (var policy in route.L7Policies)
                    {
                        L7PolicyRepository.Insert(connection, transaction, routeId, policy.Type, policy.Value);
                    }
                }
            }

            foreach (var ip in config.Firewall.BlockedIps)
            {
                FirewallRuleRepository.Insert(connection, transaction, StoredFirewallRule.Ip, ip);
            }

            foreach (var cidr in config.Firewall.BlockedCidrs)
            {
                FirewallRuleRepository.Insert(connection, transaction, StoredFirewallRule.Cidr, cidr);
            }

            foreach (var country in config.Firewall.BlockedCountries)
            {
                FirewallRuleRepository.Insert(connection, transaction, StoredFirewallRule.Country, country);
            }

            return true;
        }, cancellationToken);
}
