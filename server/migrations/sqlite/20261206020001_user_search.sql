-- A user's search text (sqlite). Paired with migrations/postgres/20261206020001_user_search.sql.
-- The values of the user's stored record (strings and numbers, at any depth; never a
-- field's name, nor true, false or null), each lower-cased in full Unicode by the server
-- (`users::search_column`), joined by U+001F: what a list's search `q` is matched against
-- with LIKE, so that a page holds the users the search finds rather than those whose JSON
-- text holds the search's ASCII letters (a field's name, a letter beyond ASCII that the
-- database does not lower-case). NULL until the server computes it: the server fills
-- the rows written before this migration when it connects, and a search reads a NULL row
-- as a candidate its own check then decides.
ALTER TABLE users ADD COLUMN search TEXT;
