-- Schema 6: a counter of each team's view changes (calendar feeds are
-- cached until it moves).
ALTER TABLE teams ADD COLUMN view_version INTEGER NOT NULL DEFAULT 0;
