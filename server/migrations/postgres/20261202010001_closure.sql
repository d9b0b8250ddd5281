-- The manager hierarchy as a closure table: one row per (ancestor, descendant) pair with
-- the distance between them (0 for the user itself, 1 for a direct report). Maintained by
-- the server in the same transaction as every manager change (store::insert_user,
-- store::update_user, store::delete_user); the kernel's subtree scope renders to
-- `id IN (SELECT descendant_id FROM user_closure WHERE ancestor_id = $m AND depth >= 1 ...)`.
-- Paired with migrations/sqlite/20261202010001_closure.sql.

CREATE TABLE user_closure (
    tenant_id TEXT NOT NULL,
    ancestor_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    descendant_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    depth BIGINT NOT NULL,
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX user_closure_descendant ON user_closure (descendant_id, depth);
CREATE INDEX user_closure_ancestor_depth ON user_closure (ancestor_id, depth);

-- Existing users: every user is its own ancestor at depth 0, then the manager edges.
WITH RECURSIVE c(tenant_id, ancestor_id, descendant_id, depth) AS (
    SELECT tenant_id, id, id, 0 FROM users
    UNION ALL
    SELECT c.tenant_id, c.ancestor_id, u.id, c.depth + 1
    FROM c JOIN users u ON u.manager_id = c.descendant_id AND u.tenant_id = c.tenant_id
    WHERE c.depth < 256
)
INSERT INTO user_closure (tenant_id, ancestor_id, descendant_id, depth)
SELECT tenant_id, ancestor_id, descendant_id, MIN(depth) FROM c
GROUP BY tenant_id, ancestor_id, descendant_id;
