-- Porchlight profile database, schema 1.
-- chunks is the source of truth; every other table is materialized from it
-- and can be rebuilt with `porchlight reindex`.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Automerge bytes, keyed the automerge-repo way.
CREATE TABLE chunks (
    doc_id TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('snapshot', 'incremental')),
    hash   TEXT NOT NULL,
    data   BLOB NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (doc_id, kind, hash)
) STRICT;

-- One row per local document; version is bumped on every chunk write so a
-- process can tell cheaply whether another one changed the document.
CREATE TABLE documents (
    doc_id  TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE boards (
    doc_id       TEXT PRIMARY KEY,
    workspace_id TEXT,
    name         TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE columns (
    board_id  TEXT NOT NULL,
    column_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    position  TEXT NOT NULL,
    PRIMARY KEY (board_id, column_id)
) STRICT;

CREATE TABLE tasks (
    id              INTEGER PRIMARY KEY,
    task_id         TEXT NOT NULL UNIQUE,
    board_id        TEXT NOT NULL,
    title           TEXT NOT NULL,
    column_id       TEXT NOT NULL,
    position        TEXT NOT NULL,
    due_at          INTEGER,
    due_deadline    INTEGER,
    reminder_at     INTEGER,
    priority        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    completed_at    INTEGER,
    archived        INTEGER NOT NULL,
    -- the whole task, so lists and `task show` never load a document
    json            TEXT NOT NULL
) STRICT;
CREATE INDEX tasks_by_board ON tasks (board_id, column_id, position);
CREATE INDEX tasks_by_deadline ON tasks (due_deadline) WHERE completed_at IS NULL;
CREATE INDEX tasks_by_reminder ON tasks (reminder_at) WHERE reminder_at IS NOT NULL;

CREATE TABLE task_labels (
    label   TEXT NOT NULL,
    task_id TEXT NOT NULL,
    PRIMARY KEY (label, task_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_labels_by_task ON task_labels (task_id);

CREATE TABLE task_assignees (
    name    TEXT NOT NULL,
    task_id TEXT NOT NULL,
    PRIMARY KEY (name, task_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_assignees_by_task ON task_assignees (task_id);

CREATE TABLE task_listings (
    listing_key TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    PRIMARY KEY (listing_key, task_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_listings_by_task ON task_listings (task_id);

CREATE TABLE comments (
    task_id    TEXT NOT NULL,
    comment_id TEXT NOT NULL,
    author     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    text       TEXT NOT NULL,
    PRIMARY KEY (task_id, comment_id)
) STRICT;

-- Full-text index; rowid = tasks.id.
CREATE VIRTUAL TABLE tasks_fts USING fts5 (
    title, description, extra,
    tokenize = 'unicode61 remove_diacritics 2'
);
