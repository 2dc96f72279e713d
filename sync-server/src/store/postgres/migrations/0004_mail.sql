-- Schema 4: password-reset codes (hashed, one use, expiring).
CREATE TABLE password_resets (
    code_hash TEXT PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts(id),
    expires_at BIGINT NOT NULL, used BOOLEAN NOT NULL DEFAULT FALSE);
CREATE INDEX password_resets_by_account ON password_resets (account_id);
