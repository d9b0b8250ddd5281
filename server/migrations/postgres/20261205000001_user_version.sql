-- Optimistic concurrency on users: every write of a user row bumps `version`, and a
-- read-decide-write succeeds only when the row still has the version the decision was made
-- on (`store::update_user`); otherwise the request answers 409 `stale_user` and nothing is
-- written. Before this, two concurrent writes of one user could undo each other (a status
-- change lost under a password reset, a document's email out of step with `user_keys`).
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
