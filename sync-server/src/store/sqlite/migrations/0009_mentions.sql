-- Schema 9: mentions by email. Each `@name` in a new comment of a team's
-- board is one row (its key names the board, task, comment and name, so
-- the same mention seen by two nodes' indexers, or again by a reindex, is
-- still one); a node claims a batch, sends, and marks it sent. People turn
-- mention emails off with `porchlight account mail --mentions off`.
ALTER TABLE accounts ADD COLUMN mention_mail INTEGER NOT NULL DEFAULT 1;
CREATE TABLE mention_mail (
    id         INTEGER PRIMARY KEY,
    mention    TEXT NOT NULL UNIQUE,
    team_id    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    author     TEXT NOT NULL,
    board      TEXT NOT NULL,
    title      TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    claimed_at INTEGER,
    sent_at    INTEGER
) STRICT;
CREATE INDEX mention_mail_unsent ON mention_mail (sent_at, claimed_at);
