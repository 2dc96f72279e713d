-- Tasks added to a board whose document was not loaded (a big board takes
-- about 200 ms to load): written here and to the tasks table in one
-- transaction, and applied to the board's document, as the change the add
-- would have made, by the next load of the board in any process.
CREATE TABLE pending_tasks (
    seq INTEGER PRIMARY KEY,
    board_id TEXT NOT NULL,
    task TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at INTEGER NOT NULL
) STRICT;
CREATE INDEX pending_tasks_board ON pending_tasks (board_id, seq);
