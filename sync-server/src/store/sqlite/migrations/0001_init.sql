-- The relay's storage, schema 1: the tables as they were before migrations
-- were numbered. `IF NOT EXISTS`, so a relay started before then (tables
-- present, user_version 0) takes this migration without change.
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    password_hash TEXT NOT NULL, is_admin INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, workspace_doc TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS members (
    team_id INTEGER NOT NULL REFERENCES teams(id), account_id INTEGER NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL CHECK (role IN ('owner','admin','member','viewer')),
    PRIMARY KEY (team_id, account_id)) STRICT;
CREATE TABLE IF NOT EXISTS invites (
    code_hash TEXT PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id),
    role TEXT NOT NULL, expires_at INTEGER NOT NULL, created_by INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id), created_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, data BLOB NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks (doc_id, id);
