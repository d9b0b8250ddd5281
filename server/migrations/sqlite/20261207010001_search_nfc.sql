-- Search texts folded anew (sqlite). Paired with migrations/postgres/20261207010001_search_nfc.sql.
-- The server now folds each value of a user's search text (`users::search_column`) to
-- lower case and to Unicode's canonical composition (NFC), as it folds a list's search
-- `q`: a name stored with a combining accent is found by the same name typed with a
-- composed letter. The texts computed before are dropped, and the server computes them
-- again when it connects (a search reads a NULL row as a candidate its own check decides
-- meanwhile).
UPDATE users SET search = NULL;
