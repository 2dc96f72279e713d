-- The relay's storage on PostgreSQL, schema 1: the same tables as the
-- SQLite backend's schemas 1 and 2.
CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    password_hash TEXT NOT NULL, is_admin BOOLEAN NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE devices (
    id BIGSERIAL PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT FALSE);
CREATE INDEX devices_by_account ON devices (account_id);
CREATE TABLE teams (
    id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, workspace_doc TEXT NOT NULL,
    created_at BIGINT NOT NULL, stored_bytes BIGINT NOT NULL DEFAULT 0);
CREATE TABLE members (
    team_id BIGINT NOT NULL REFERENCES teams(id), account_id BIGINT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL CHECK (role IN ('owner','admin','member','viewer')),
    PRIMARY KEY (team_id, account_id));
CREATE INDEX members_by_account ON members (account_id);
CREATE TABLE invites (
    code_hash TEXT PRIMARY KEY, team_id BIGINT NOT NULL REFERENCES teams(id),
    role TEXT NOT NULL, expires_at BIGINT NOT NULL, created_by BIGINT NOT NULL);
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, team_id BIGINT NOT NULL REFERENCES teams(id), created_at BIGINT NOT NULL);
CREATE INDEX documents_by_team ON documents (team_id);
CREATE TABLE chunks (id BIGSERIAL PRIMARY KEY, doc_id TEXT NOT NULL, data BYTEA NOT NULL);
CREATE INDEX chunks_by_doc ON chunks (doc_id, id);
CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY, team_id BIGINT NOT NULL REFERENCES teams(id),
    name TEXT NOT NULL, scope TEXT NOT NULL CHECK (scope IN ('read','write')),
    token_hash TEXT NOT NULL UNIQUE, created_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL, expires_at BIGINT, last_used_at BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT FALSE);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, event TEXT NOT NULL,
    actor BIGINT, team_id BIGINT, source TEXT, target TEXT);
CREATE INDEX audit_by_team ON audit (team_id, id);
CREATE INDEX audit_by_actor ON audit (actor, id);
CREATE INDEX audit_by_time ON audit (at);
