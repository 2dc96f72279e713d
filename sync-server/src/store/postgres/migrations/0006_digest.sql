-- Schema 6: the daily digest email (each person's time zone, whether they
-- want it, the local day it last went out, and the token of its one-click
-- unsubscribe link) and a team's retention of deleted tasks (days; NULL
-- keeps them).
ALTER TABLE accounts ADD COLUMN time_zone TEXT;
ALTER TABLE accounts ADD COLUMN digest BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE accounts ADD COLUMN digest_sent_on TEXT;
ALTER TABLE accounts ADD COLUMN digest_token TEXT UNIQUE;
ALTER TABLE teams ADD COLUMN deleted_task_days INTEGER;
CREATE INDEX view_tasks_deleted ON view_tasks (team_id, deleted, updated_at);
-- The price and status of each listing in the team's shared listing cache,
-- so a change of either is a `listing.changed` webhook event.
CREATE TABLE view_listings (
    doc_id TEXT NOT NULL, listing_key TEXT NOT NULL, team_id BIGINT NOT NULL,
    list_price DOUBLE PRECISION, status TEXT,
    PRIMARY KEY (doc_id, listing_key));
