-- Schema 2: tokens that expire (sliding: last use), scoped API keys for
-- integrations, and the audit log.
ALTER TABLE devices ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
UPDATE devices SET last_used_at = created_at;
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id),
    name TEXT NOT NULL, scope TEXT NOT NULL CHECK (scope IN ('read','write')),
    token_hash TEXT NOT NULL UNIQUE, created_by INTEGER NOT NULL REFERENCES accounts(id),
    created_at INTEGER NOT NULL, expires_at INTEGER, last_used_at INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE audit (
    id INTEGER PRIMARY KEY, at INTEGER NOT NULL, event TEXT NOT NULL,
    actor INTEGER, team_id INTEGER, source TEXT, target TEXT) STRICT;
CREATE INDEX audit_by_team ON audit (team_id, id);
CREATE INDEX audit_by_actor ON audit (actor, id);
CREATE INDEX audit_by_time ON audit (at);
-- Bytes stored per team (for its quota), kept by every append.
ALTER TABLE teams ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE teams SET stored_bytes = (
    SELECT COALESCE(SUM(length(c.data)), 0) FROM chunks c JOIN documents d ON d.doc_id = c.doc_id
    WHERE d.team_id = teams.id);
