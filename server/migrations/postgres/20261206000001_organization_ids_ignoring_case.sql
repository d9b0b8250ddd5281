-- Organisation ids are unique within a tenant ignoring case (PostgreSQL). Paired with
-- migrations/sqlite/20261206000001_organization_ids_ignoring_case.sql. `acme` and `ACME`
-- read as one organisation to people: a second spelling is refused (409 `duplicate` at
-- `id`, naming the existing one), and this index is the final arbiter between concurrent
-- creations. The id keeps the spelling it was created with; users name it exactly.
-- Organisation ids are ASCII letters, digits, `-`, `_` and `.`, so `lower` is the same on
-- both backends.
--
-- A database made before this rule may hold ids that differ only in case: the migration
-- then fails (the server does not start) without changing anything, with a message naming
-- them. Rename or merge them (with their users' `organization`), then start the server
-- again.
DO $$
DECLARE
    twins TEXT;
BEGIN
    SELECT string_agg(format('tenant %s: %s', tenant_id, ids), '; ') INTO twins
    FROM (
        SELECT tenant_id, string_agg(id, ', ' ORDER BY id) AS ids
        FROM organizations
        GROUP BY tenant_id, lower(id)
        HAVING COUNT(*) > 1
    ) t;
    IF twins IS NOT NULL THEN
        RAISE EXCEPTION 'organisation ids that differ only in case exist (%): rename or merge them, then start the server again', twins;
    END IF;
END
$$;

CREATE UNIQUE INDEX organizations_id_ignoring_case ON organizations (tenant_id, lower(id));
