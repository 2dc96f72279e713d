-- The renames recorded on each board (`renamed:OLD = NEW` in its
-- document), as a JSON object, so the inbox can find the user under the
-- name a teammate gave them without loading the board.
ALTER TABLE boards ADD COLUMN renames TEXT NOT NULL DEFAULT '{}';
