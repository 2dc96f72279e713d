-- Task writes made while their board's document was not loaded (a big
-- board takes about 200 ms to load): each is written here and to the
-- tasks table in one transaction, and applied to the board's document, as
-- the change it would have made, by the next load of the board in any
-- process, in `seq` order. `op` is the change note's (`task.add`,
-- `task.edit`, `task.move`, ...); `body` is the new task as JSON for an
-- add, the list of edits as JSON otherwise.
CREATE TABLE pending_writes (
    seq INTEGER PRIMARY KEY,
    board_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    op TEXT NOT NULL,
    body TEXT NOT NULL,
    fields TEXT NOT NULL,
    author TEXT NOT NULL,
    made_at INTEGER NOT NULL
) STRICT;
CREATE INDEX pending_writes_board ON pending_writes (board_id, seq);
