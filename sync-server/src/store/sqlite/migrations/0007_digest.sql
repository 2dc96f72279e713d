-- Schema 7: the daily digest email (each person's time zone, whether they
-- want it, the local day it last went out, and the token of its one-click
-- unsubscribe link) and a team's retention of deleted tasks (days; NULL
-- keeps them).
ALTER TABLE accounts ADD COLUMN time_zone TEXT;
ALTER TABLE accounts ADD COLUMN digest INTEGER NOT NULL DEFAULT 1;
ALTER TABLE accounts ADD COLUMN digest_sent_on TEXT;
ALTER TABLE accounts ADD COLUMN digest_token TEXT;
CREATE UNIQUE INDEX accounts_by_digest_token ON accounts (digest_token);
ALTER TABLE teams ADD COLUMN deleted_task_days INTEGER;
CREATE INDEX view_tasks_deleted ON view_tasks (team_id, deleted, updated_at);
-- The price and status of each listing in the team's shared listing cache,
-- so a change of either is a `listing.changed` webhook event.
CREATE TABLE view_listings (
    doc_id TEXT NOT NULL, listing_key TEXT NOT NULL, team_id INTEGER NOT NULL,
    list_price REAL, status TEXT,
    PRIMARY KEY (doc_id, listing_key)) STRICT;
