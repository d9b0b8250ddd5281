-- Password reset tokens (the `token` reset method): one live token per user, stored as
-- the SHA-256 of the token (the token itself is only in the outbox message that delivers
-- it, until delivered), single-use, expiring. Redeemed by POST /api/v1/password-reset,
-- and only while the user's status and password are those it was issued under
-- (`status`; `password`, the SHA-256 of the stored password hash, which a new password's
-- salt always changes).
CREATE TABLE password_reset_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    password TEXT
);
CREATE INDEX password_reset_tokens_user ON password_reset_tokens (tenant_id, user_id);
