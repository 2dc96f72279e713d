//! The boards' materialized view and the calendar feeds, on SQLite.

use rusqlite::{OptionalExtension, params};

use super::Inner;
use crate::store::{CalendarFeed, Chunk, StoreError, TaskQuery, ViewBoard, ViewTask, ViewUpdate};

pub(super) const TASK_COLUMNS: &str = "doc_id, task_id, due_at, done, deleted, updated_at, data";

pub(super) fn task_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ViewTask> {
    Ok(ViewTask {
        doc: r.get(0)?,
        task: r.get(1)?,
        due_at: r.get(2)?,
        done: r.get(3)?,
        deleted: r.get(4)?,
        updated_at: r.get(5)?,
        data: r.get(6)?,
    })
}

fn feed_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CalendarFeed> {
    Ok(CalendarFeed {
        secret: r.get(0)?,
        account: r.get(1)?,
        team: r.get(2)?,
        board: r.get(3)?,
        mine: r.get(4)?,
    })
}

impl Inner {
    pub(super) fn load_chunks_after(
        &self,
        doc: &str,
        after: i64,
    ) -> Result<Vec<Chunk>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, data FROM chunks WHERE doc_id = ?1 AND id > ?2 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![doc, after], |r| {
                Ok(Chunk {
                    id: r.get(0)?,
                    data: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn view_tasks_of(
        &self,
        doc: &str,
        tasks: Option<&[String]>,
    ) -> Result<Vec<ViewTask>, StoreError> {
        self.read(|c| {
            let mut out = Vec::new();
            match tasks {
                None => {
                    let mut stmt = c.prepare_cached(&format!(
                        "SELECT {TASK_COLUMNS} FROM view_tasks WHERE doc_id = ?1"
                    ))?;
                    for row in stmt.query_map([doc], task_row)? {
                        out.push(row?);
                    }
                }
                Some(ids) => {
                    let mut stmt = c.prepare_cached(&format!(
                        "SELECT {TASK_COLUMNS} FROM view_tasks WHERE doc_id = ?1 AND task_id = ?2"
                    ))?;
                    for id in ids {
                        if let Some(row) = stmt.query_row(params![doc, id], task_row).optional()? {
                            out.push(row);
                        }
                    }
                }
            }
            Ok(out)
        })
    }

    pub(super) fn write_view(&self, u: &ViewUpdate) -> Result<(), StoreError> {
        let now = crate::store::now_ms();
        // The events first, in the outbox's file: if the view's write then
        // fails, the next refresh makes the same events (their ids come
        // from the change) and the outbox keeps one of each.
        if !u.events.is_empty() {
            self.write_outbox(|tx| super::webhooks::enqueue(tx, u.board.team, None, &u.events))?;
        }
        self.write(|tx| {
            tx.execute(
                "INSERT INTO view_boards (doc_id, team_id, name, deleted, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (doc_id) DO UPDATE SET name = excluded.name,
                   deleted = excluded.deleted, updated_at = excluded.updated_at",
                params![u.board.doc, u.board.team, u.board.name, u.board.deleted, now],
            )?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO view_tasks (doc_id, task_id, team_id, due_at, done, deleted, updated_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (doc_id, task_id) DO UPDATE SET due_at = excluded.due_at,
                   done = excluded.done, deleted = excluded.deleted,
                   updated_at = excluded.updated_at, data = excluded.data",
            )?;
            for t in &u.upsert {
                upsert.execute(params![
                    t.doc,
                    t.task,
                    u.board.team,
                    t.due_at,
                    t.done,
                    t.deleted,
                    t.updated_at,
                    t.data
                ])?;
            }
            let mut remove =
                tx.prepare_cached("DELETE FROM view_tasks WHERE doc_id = ?1 AND task_id = ?2")?;
            for id in &u.remove {
                remove.execute(params![u.board.doc, id])?;
            }
            super::mentions::queue(tx, u.board.team, &u.mentions, now)?;
            tx.execute(
                "UPDATE teams SET view_version = view_version + 1 WHERE id = ?1",
                [u.board.team],
            )?;
            Ok(())
        })
    }

    pub(super) fn view_boards(&self, team: i64) -> Result<Vec<ViewBoard>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT doc_id, team_id, name, deleted FROM view_boards
                 WHERE team_id = ?1 ORDER BY name, doc_id",
            )?;
            let rows = stmt.query_map([team], |r| {
                Ok(ViewBoard {
                    doc: r.get(0)?,
                    team: r.get(1)?,
                    name: r.get(2)?,
                    deleted: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn view_tasks(&self, q: &TaskQuery) -> Result<Vec<ViewTask>, StoreError> {
        let (after_doc, after_task) = q.after.clone().unwrap_or_default();
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM view_tasks
                 WHERE team_id = ?1 AND deleted = 0
                   AND (?2 IS NULL OR doc_id = ?2)
                   AND (?3 = 0 OR due_at IS NOT NULL)
                   AND (?4 = 1 OR done = 0)
                   AND (?5 IS NULL OR updated_at >= ?5)
                   AND (doc_id, task_id) > (?6, ?7)
                   AND (?9 IS NULL OR due_at < ?9)
                 ORDER BY doc_id, task_id LIMIT ?8"
            ))?;
            let rows = stmt.query_map(
                params![
                    q.team,
                    q.board,
                    q.with_due,
                    q.include_done,
                    q.updated_since,
                    after_doc,
                    after_task,
                    q.limit,
                    q.due_before
                ],
                task_row,
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn clear_view(&self) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute_batch(
                "DELETE FROM view_tasks; DELETE FROM view_boards; DELETE FROM view_listings;
                 UPDATE teams SET view_version = view_version + 1;",
            )?;
            Ok(())
        })
    }

    pub(super) fn view_version(&self, team: i64) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT view_version FROM teams WHERE id = ?1",
                [team],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
        })
    }

    pub(super) fn calendar_feed(
        &self,
        f: &CalendarFeed,
        rotate: bool,
    ) -> Result<CalendarFeed, StoreError> {
        self.write(|tx| {
            let sql = if rotate {
                "INSERT INTO calendar_feeds (secret, account_id, team_id, board, mine, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, team_id, board, mine) DO UPDATE SET secret = excluded.secret,
                   created_at = excluded.created_at"
            } else {
                "INSERT INTO calendar_feeds (secret, account_id, team_id, board, mine, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, team_id, board, mine) DO NOTHING"
            };
            tx.execute(
                sql,
                params![
                    f.secret,
                    f.account,
                    f.team,
                    f.board,
                    f.mine,
                    crate::store::now_ms()
                ],
            )?;
            Ok(tx.query_row(
                "SELECT secret, account_id, team_id, board, mine FROM calendar_feeds
                 WHERE account_id = ?1 AND team_id = ?2 AND board = ?3 AND mine = ?4",
                params![f.account, f.team, f.board, f.mine],
                feed_row,
            )?)
        })
    }

    pub(super) fn feed_by_secret(&self, secret: &str) -> Result<Option<CalendarFeed>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT secret, account_id, team_id, board, mine FROM calendar_feeds WHERE secret = ?1",
                [secret],
                feed_row,
            )
            .optional()?)
        })
    }

    pub(super) fn account_name(&self, account: i64) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT name FROM accounts WHERE id = ?1", [account], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }
}
