-- An API key may expire: the instant (Unix seconds) from which it no longer authenticates;
-- NULL for a key that does not expire (every key made before).
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
