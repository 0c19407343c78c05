namespace McProxy.Store;

/// <summary>The schema, as numbered steps. Never edit a released step: add the next one.</summary>
internal static class Migrations
{
    public static readonly IReadOnlyList<(int Version, string Name, string Sql)> All =
    [
        (1, "listeners and routes", """
            CREATE TABLE listeners (
                id         INTEGER PRIMARY KEY,
                addr       TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            );
            CREATE TABLE routes (
                id          INTEGER PRIMARY KEY,
                listener_id INTEGER NOT NULL REFERENCES listeners(id) ON DELETE CASCADE,
                hostname    TEXT NOT NULL CHECK (hostname <> ''),
                backend     TEXT NOT NULL CHECK (backend <> ''),
                created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                UNIQUE (listener_id, hostname)
            );
            CREATE INDEX routes_listener ON routes(listener_id);
            """),
        (2, "firewall rules", """
            CREATE TABLE firewall_rules (
                id         INTEGER PRIMARY KEY,
                type       TEXT NOT NULL CHECK (type IN ('ip', 'cidr', 'country')),
                value      TEXT NOT NULL CHECK (value <> ''),
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                UNIQUE (type, value)
            );
            """),
        (3, "listener and route options", """
            ALTER TABLE listeners ADD COLUMN proxy_protocol INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE listeners ADD COLUMN trusted_proxies TEXT NOT NULL DEFAULT '';
            ALTER TABLE listeners ADD COLUMN default_route TEXT;
            ALTER TABLE listeners ADD COLUMN max_connections INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE routes ADD COLUMN mode TEXT NOT NULL DEFAULT 'l4' CHECK (mode IN ('l4', 'l7'));
            ALTER TABLE routes ADD COLUMN tls_cert TEXT NOT NULL DEFAULT '';
            ALTER TABLE routes ADD COLUMN tls_key TEXT NOT NULL DEFAULT '';
            ALTER TABLE routes ADD COLUMN backend_tls INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE routes ADD COLUMN backend_ca TEXT NOT NULL DEFAULT '';
            ALTER TABLE routes ADD COLUMN backend_h2c INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE routes ADD COLUMN send_proxy_protocol INTEGER NOT NULL DEFAULT 0;
            """),
        (4, "l7 policies", """
            CREATE TABLE l7_policies (
                id         INTEGER PRIMARY KEY,
                route_id   INTEGER NOT NULL REFERENCES routes(id) ON DELETE CASCADE,
                type       TEXT NOT NULL CHECK (type IN ('block_user_agent', 'require_header')),
                value      TEXT NOT NULL CHECK (value <> ''),
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                UNIQUE (route_id, type, value)
            );
            CREATE INDEX l7_policies_route ON l7_policies(route_id);
            """),
        // routes.backend stays, written as the pool's first backend (NOT NULL, and a reader of the file sees a
        // route's main backend at a glance); nothing reads it any more: route_backends is the pool.
        (5, "backend pools", """
            CREATE TABLE route_backends (
                id          INTEGER PRIMARY KEY,
                route_id    INTEGER NOT NULL REFERENCES routes(id) ON DELETE CASCADE,
                address     TEXT NOT NULL CHECK (address <> ''),
                position    INTEGER NOT NULL CHECK (position >= 0),
                admin_state TEXT NOT NULL DEFAULT 'enabled' CHECK (admin_state IN ('enabled', 'drain', 'disabled')),
                UNIQUE (route_id, address)
            );
            CREATE INDEX route_backends_route ON route_backends(route_id, position);
            INSERT INTO route_backends (route_id, address, position) SELECT id, backend, 0 FROM routes;
            ALTER TABLE routes ADD COLUMN balance TEXT NOT NULL DEFAULT 'least_connections'
                CHECK (balance IN ('least_connections', 'round_robin', 'first'));
            ALTER TABLE routes ADD COLUMN health_check TEXT NOT NULL DEFAULT 'none' CHECK (health_check <> '');
            """),
    ];
}
