-- Schema 5: a counter of each team's view changes (calendar feeds are
-- cached until it moves).
ALTER TABLE teams ADD COLUMN view_version BIGINT NOT NULL DEFAULT 0;
