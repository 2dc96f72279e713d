-- Schema 3: the relay's materialized view of the team's boards (what the
-- calendar feeds and the REST API read), rebuilt from the documents by
-- `porchlight-relay reindex`; and the calendar feeds' secret addresses.
CREATE TABLE view_boards (
    doc_id TEXT PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id),
    name TEXT NOT NULL, deleted INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
CREATE INDEX view_boards_by_team ON view_boards (team_id);
CREATE TABLE view_tasks (
    doc_id TEXT NOT NULL, task_id TEXT NOT NULL, team_id INTEGER NOT NULL,
    due_at INTEGER, done INTEGER NOT NULL, deleted INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (doc_id, task_id)) STRICT;
CREATE INDEX view_tasks_by_team ON view_tasks (team_id, due_at);
CREATE INDEX view_tasks_by_update ON view_tasks (team_id, updated_at);
CREATE TABLE calendar_feeds (
    id INTEGER PRIMARY KEY, secret TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES accounts(id), team_id INTEGER NOT NULL REFERENCES teams(id),
    board TEXT NOT NULL, mine INTEGER NOT NULL, created_at INTEGER NOT NULL,
    UNIQUE (account_id, team_id, board, mine)) STRICT;
