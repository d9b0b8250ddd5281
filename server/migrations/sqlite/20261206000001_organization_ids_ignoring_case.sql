-- Organisation ids are unique within a tenant ignoring case (SQLite). Paired with
-- migrations/postgres/20261206000001_organization_ids_ignoring_case.sql. `acme` and `ACME`
-- read as one organisation to people: a second spelling is refused (409 `duplicate` at
-- `id`, naming the existing one), and this index is the final arbiter between concurrent
-- creations. The id keeps the spelling it was created with; users name it exactly.
-- Organisation ids are ASCII letters, digits, `-`, `_` and `.`, so `lower` is the same on
-- both backends.
--
-- A database made before this rule may hold ids that differ only in case: the migration
-- then fails (the server does not start) without changing anything, with a message saying
-- so. Find them with
--   SELECT tenant_id, lower(id), group_concat(id) FROM organizations
--   GROUP BY tenant_id, lower(id) HAVING COUNT(*) > 1;
-- rename or merge them (with their users' `organization`), then start the server again.
-- SQLite has no procedure to raise an error: a trigger on a scratch table does.
CREATE TEMP TABLE organization_case_twins (id TEXT);
CREATE TEMP TRIGGER organization_case_twins_refused BEFORE INSERT ON organization_case_twins
BEGIN
    SELECT RAISE(ABORT, 'organisation ids that differ only in case exist in a tenant (see migrations/sqlite/20261206000001_organization_ids_ignoring_case.sql): rename or merge them, then start the server again');
END;
INSERT INTO organization_case_twins
    SELECT MIN(id) FROM organizations GROUP BY tenant_id, lower(id) HAVING COUNT(*) > 1 LIMIT 1;
DROP TABLE organization_case_twins;

CREATE UNIQUE INDEX organizations_id_ignoring_case ON organizations (tenant_id, lower(id));
