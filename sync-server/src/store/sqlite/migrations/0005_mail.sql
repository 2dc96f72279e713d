-- Schema 5: password-reset codes (hashed, one use, expiring).
CREATE TABLE password_resets (
    code_hash TEXT PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id),
    expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE INDEX password_resets_by_account ON password_resets (account_id);
