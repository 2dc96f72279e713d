-- Schema 4: webhooks, and their deliveries (an outbox: a delivery is
-- written in the same transaction as the view change it reports).
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id),
    url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL, board TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('standard','slack','teams','discord')),
    created_by INTEGER NOT NULL REFERENCES accounts(id), created_at INTEGER NOT NULL,
    disabled_at INTEGER, removed INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE INDEX webhooks_by_team ON webhooks (team_id);
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY, webhook_id INTEGER NOT NULL REFERENCES webhooks(id),
    event_id TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending','delivered','failed')),
    attempts INTEGER NOT NULL, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
    last_status INTEGER, last_error TEXT, latency_ms INTEGER, done_at INTEGER) STRICT;
CREATE INDEX deliveries_due ON deliveries (state, next_at);
CREATE INDEX deliveries_by_hook ON deliveries (webhook_id, id);
