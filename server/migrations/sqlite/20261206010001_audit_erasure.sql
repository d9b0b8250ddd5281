-- Erasable audit entries (sqlite). Paired with migrations/postgres/20261206010001_audit_erasure.sql.
-- An entry now chains the digest of its body (`body_digest`, `sha256:<hex>` of the body
-- text) rather than the body itself, so that a user's personal data can be erased from the
-- entries about them (an anonymising or hard deletion) while the chain still proves that no
-- entry was removed, reordered or changed: `erased_by` is the sequence number of the
-- entry that erased it, and that entry lists it. Entries written before this migration have
-- no digest: they chain their body, as before, and cannot be erased.
ALTER TABLE audit_log ADD COLUMN body_digest TEXT;
ALTER TABLE audit_log ADD COLUMN erased_by INTEGER;
