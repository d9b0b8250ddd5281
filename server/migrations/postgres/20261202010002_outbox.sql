-- The obligations outbox: obligations that leave the directory (notify the user, verify a
-- new email, send a reset link, cancel bookings elsewhere) are written here in the same
-- transaction as the change that carries them, and delivered afterwards by the server's
-- worker (outbox::Worker) to a sink, at least once, with `idempotency_key` for the
-- receiver to drop repeats. A rolled-back change leaves no row.

CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
