-- Schema 3: webhooks, and their deliveries (an outbox: a delivery is
-- written in the same transaction as the view change it reports).
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY, team_id BIGINT NOT NULL REFERENCES teams(id),
    url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL, board TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('standard','slack','teams','discord')),
    created_by BIGINT NOT NULL REFERENCES accounts(id), created_at BIGINT NOT NULL,
    disabled_at BIGINT, removed BOOLEAN NOT NULL DEFAULT FALSE);
CREATE INDEX webhooks_by_team ON webhooks (team_id);
CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY, webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    event_id TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending','delivered','failed')),
    attempts INTEGER NOT NULL, next_at BIGINT NOT NULL, created_at BIGINT NOT NULL,
    last_status INTEGER, last_error TEXT, latency_ms BIGINT, done_at BIGINT);
CREATE INDEX deliveries_due ON deliveries (state, next_at);
CREATE INDEX deliveries_by_hook ON deliveries (webhook_id, id);
