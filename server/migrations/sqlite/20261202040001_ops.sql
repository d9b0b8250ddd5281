-- Issue 12, operating the server: tenant plugins stored in the database, the tenants'
-- change counters that other instances poll, and stored import reports.

-- Bumped in the transaction of every change to a tenant's plugins (upload, replace,
-- remove, settings). Instances compare it with the generation they loaded.
ALTER TABLE tenants ADD COLUMN plugin_generation BIGINT NOT NULL DEFAULT 0;

-- A tenant's plugins, in order of `position`: the component's bytes, its SHA-256, the name
-- and version its `describe` gave, and the tenant's configuration of it (JSON text).
CREATE TABLE tenant_plugins (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    version TEXT NOT NULL,
    hash TEXT NOT NULL,
    interface TEXT NOT NULL,
    size BIGINT NOT NULL,
    component BLOB NOT NULL,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- A tenant's plugin settings (limits within the host's hard caps, failure policies, the
-- circuit breaker), as JSON text; absent means the host's defaults.
CREATE TABLE tenant_plugin_settings (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Imports that commit: one row per import, then one row per committed item, written in
-- the item's own transaction with the user and its audit entry.
CREATE TABLE imports (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    report TEXT,
    request_id TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX imports_tenant ON imports (tenant_id, created_at);

CREATE TABLE import_items (
    import_id TEXT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    item BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    audit_seq BIGINT NOT NULL,
    PRIMARY KEY (import_id, item)
);
