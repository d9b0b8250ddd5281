-- Resources other than users (AuthZEN resources of a type other than `user`), per tenant.
-- Paired with migrations/postgres/20261202030001_resources.sql: the same table and columns.
-- A resource has the placement the kernel's scopes read: organisation, owner (an account of
-- the same tenant, for `own` and `team`) and location; `attributes` is JSON text.

CREATE TABLE resources (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    organization_id TEXT,
    owner_id TEXT,
    location TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);
CREATE INDEX resources_owner ON resources (tenant_id, owner_id);
