/**
 * Versioned schema migrations, shared by both engines where the SQL is the same. Applied in order on start; the
 * applied ones are recorded in schema_migrations. Never edit a released migration: add a new one.
 */
export interface Migration {
  version: number
  name: string
  sqlite: string
  postgres: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'resources and audit log',
    sqlite: `
      CREATE TABLE namespaces (name TEXT PRIMARY KEY, team TEXT NOT NULL, version INTEGER NOT NULL, labels TEXT NOT NULL, data BLOB NOT NULL);
      CREATE INDEX namespaces_team ON namespaces (team, name);
      CREATE TABLE backends (name TEXT PRIMARY KEY, type INTEGER NOT NULL, version INTEGER NOT NULL, labels TEXT NOT NULL, data BLOB NOT NULL);
      CREATE INDEX backends_type ON backends (type, name);
      CREATE TABLE namespace_bindings (backend TEXT NOT NULL, namespace TEXT NOT NULL, PRIMARY KEY (backend, namespace));
      CREATE INDEX namespace_bindings_namespace ON namespace_bindings (namespace);
      CREATE TABLE audit_events (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,
        resource_kind TEXT NOT NULL, resource_name TEXT NOT NULL, outcome TEXT NOT NULL, message TEXT NOT NULL);
      CREATE INDEX audit_events_resource ON audit_events (resource_name, id);
    `,
    postgres: `
      CREATE TABLE namespaces (name TEXT PRIMARY KEY, team TEXT NOT NULL, version BIGINT NOT NULL, labels JSONB NOT NULL, data BYTEA NOT NULL);
      CREATE INDEX namespaces_team ON namespaces (team, name);
      CREATE INDEX namespaces_labels ON namespaces USING GIN (labels jsonb_path_ops);
      CREATE TABLE backends (name TEXT PRIMARY KEY, type INTEGER NOT NULL, version BIGINT NOT NULL, labels JSONB NOT NULL, data BYTEA NOT NULL);
      CREATE INDEX backends_type ON backends (type, name);
      CREATE TABLE namespace_bindings (backend TEXT NOT NULL, namespace TEXT NOT NULL, PRIMARY KEY (backend, namespace));
      CREATE INDEX namespace_bindings_namespace ON namespace_bindings (namespace);
      CREATE TABLE audit_events (id BIGSERIAL PRIMARY KEY, time_ms BIGINT NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,
        resource_kind TEXT NOT NULL, resource_name TEXT NOT NULL, outcome TEXT NOT NULL, message TEXT NOT NULL);
      CREATE INDEX audit_events_resource ON audit_events (resource_name, id);
    `,
  },
  {
    version: 2,
    name: 'proxy leases',
    // A lease's namespaces are rows of their own, so "who serves these namespaces" is one indexed query.
    sqlite: `
      CREATE TABLE proxy_leases (proxy_id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL, endpoint TEXT NOT NULL, version TEXT NOT NULL);
      CREATE INDEX proxy_leases_expiry ON proxy_leases (expires_ms);
      CREATE TABLE proxy_lease_namespaces (namespace TEXT NOT NULL, proxy_id TEXT NOT NULL, PRIMARY KEY (namespace, proxy_id));
      CREATE INDEX proxy_lease_namespaces_proxy ON proxy_lease_namespaces (proxy_id);
    `,
    postgres: `
      CREATE TABLE proxy_leases (proxy_id TEXT PRIMARY KEY, expires_ms BIGINT NOT NULL, endpoint TEXT NOT NULL, version TEXT NOT NULL);
      CREATE INDEX proxy_leases_expiry ON proxy_leases (expires_ms);
      CREATE TABLE proxy_lease_namespaces (namespace TEXT NOT NULL, proxy_id TEXT NOT NULL REFERENCES proxy_leases (proxy_id) ON DELETE CASCADE, PRIMARY KEY (namespace, proxy_id));
      CREATE INDEX proxy_lease_namespaces_proxy ON proxy_lease_namespaces (proxy_id);
    `,
  },
  {
    version: 3,
    name: 'audit counts, retention and filters',
    // count: refused writes are aggregated per principal and minute. The indexes serve pruning by age and the
    // principal filter of ListAuditEvents.
    sqlite: `
      ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX audit_events_time ON audit_events (time_ms);
      CREATE INDEX audit_events_principal ON audit_events (principal, id);
    `,
    postgres: `
      ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX audit_events_time ON audit_events (time_ms);
      CREATE INDEX audit_events_principal ON audit_events (principal, id);
    `,
  },
]

/** The migrations not yet applied, in order, given the versions schema_migrations lists. */
export function pendingMigrations(applied: readonly {version: number | string}[]): Migration[] {
  const done = new Set(applied.map((r) => Number(r.version)))
  return MIGRATIONS.filter((m) => !done.has(m.version))
}

export const CREATE_MIGRATIONS_TABLE = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'
