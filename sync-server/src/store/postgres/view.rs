//! The boards' materialized view and the calendar feeds, on PostgreSQL.

use tokio_postgres::Row;

use super::PgStore;
use crate::store::{
    CalendarFeed, Chunk, StoreError, TaskQuery, ViewBoard, ViewTask, ViewUpdate, now_ms,
};

pub(super) const TASK_COLUMNS: &str = "doc_id, task_id, due_at, done, deleted, updated_at, data";

pub(super) fn task_row(r: &Row) -> ViewTask {
    ViewTask {
        doc: r.get(0),
        task: r.get(1),
        due_at: r.get(2),
        done: r.get(3),
        deleted: r.get(4),
        updated_at: r.get(5),
        data: r.get(6),
    }
}

fn feed_row(r: &Row) -> CalendarFeed {
    CalendarFeed {
        secret: r.get(0),
        account: r.get(1),
        team: r.get(2),
        board: r.get(3),
        mine: r.get(4),
    }
}

impl PgStore {
    pub(super) async fn pg_load_chunks_after(
        &self,
        doc: &str,
        after: i64,
        except: &[i64],
    ) -> Result<Vec<Chunk>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, data FROM chunks WHERE doc_id = $1 AND id > $2 \
                 AND NOT (id = ANY($3)) ORDER BY id",
                &[&doc, &after, &except],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Chunk {
                id: r.get(0),
                data: r.get(1),
            })
            .collect())
    }

    pub(super) async fn pg_view_tasks_of(
        &self,
        doc: &str,
        tasks: Option<&[String]>,
    ) -> Result<Vec<ViewTask>, StoreError> {
        let c = self.client().await?;
        let rows = match tasks {
            None => {
                c.query(
                    &format!("SELECT {TASK_COLUMNS} FROM view_tasks WHERE doc_id = $1"),
                    &[&doc],
                )
                .await?
            }
            Some(ids) => {
                let ids = ids.to_vec();
                c.query(
                    &format!(
                        "SELECT {TASK_COLUMNS} FROM view_tasks WHERE doc_id = $1 AND task_id = ANY($2)"
                    ),
                    &[&doc, &ids],
                )
                .await?
            }
        };
        Ok(rows.iter().map(task_row).collect())
    }

    pub(super) async fn pg_write_view(&self, u: &ViewUpdate) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "INSERT INTO view_boards (doc_id, team_id, name, deleted, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (doc_id) DO UPDATE SET name = excluded.name,
               deleted = excluded.deleted, updated_at = excluded.updated_at",
            &[
                &u.board.doc,
                &u.board.team,
                &u.board.name,
                &u.board.deleted,
                &now_ms(),
            ],
        )
        .await?;
        let upsert = tx
            .prepare(
                "INSERT INTO view_tasks (doc_id, task_id, team_id, due_at, done, deleted, updated_at, data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (doc_id, task_id) DO UPDATE SET due_at = excluded.due_at,
                   done = excluded.done, deleted = excluded.deleted,
                   updated_at = excluded.updated_at, data = excluded.data",
            )
            .await?;
        for t in &u.upsert {
            tx.execute(
                &upsert,
                &[
                    &t.doc,
                    &t.task,
                    &u.board.team,
                    &t.due_at,
                    &t.done,
                    &t.deleted,
                    &t.updated_at,
                    &t.data,
                ],
            )
            .await?;
        }
        if !u.remove.is_empty() {
            tx.execute(
                "DELETE FROM view_tasks WHERE doc_id = $1 AND task_id = ANY($2)",
                &[&u.board.doc, &u.remove],
            )
            .await?;
        }
        super::webhooks::enqueue(&tx, u.board.team, None, &u.events).await?;
        super::mentions::queue(&tx, u.board.team, &u.mentions, now_ms()).await?;
        tx.execute(
            "UPDATE teams SET view_version = view_version + 1 WHERE id = $1",
            &[&u.board.team],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn pg_view_boards(&self, team: i64) -> Result<Vec<ViewBoard>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT doc_id, team_id, name, deleted FROM view_boards
                 WHERE team_id = $1 ORDER BY name, doc_id",
                &[&team],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ViewBoard {
                doc: r.get(0),
                team: r.get(1),
                name: r.get(2),
                deleted: r.get(3),
            })
            .collect())
    }

    pub(super) async fn pg_view_tasks(&self, q: &TaskQuery) -> Result<Vec<ViewTask>, StoreError> {
        let (after_doc, after_task) = q.after.clone().unwrap_or_default();
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {TASK_COLUMNS} FROM view_tasks
                     WHERE team_id = $1 AND NOT deleted
                       AND ($2::TEXT IS NULL OR doc_id = $2)
                       AND (NOT $3 OR due_at IS NOT NULL)
                       AND ($4 OR NOT done)
                       AND ($5::BIGINT IS NULL OR updated_at >= $5)
                       AND (doc_id, task_id) > ($6, $7)
                       AND ($9::BIGINT IS NULL OR due_at < $9)
                     ORDER BY doc_id, task_id LIMIT $8"
                ),
                &[
                    &q.team,
                    &q.board,
                    &q.with_due,
                    &q.include_done,
                    &q.updated_since,
                    &after_doc,
                    &after_task,
                    &q.limit,
                    &q.due_before,
                ],
            )
            .await?;
        Ok(rows.iter().map(task_row).collect())
    }

    pub(super) async fn pg_calendar_feed(
        &self,
        f: &CalendarFeed,
        rotate: bool,
    ) -> Result<CalendarFeed, StoreError> {
        let sql = if rotate {
            "INSERT INTO calendar_feeds (secret, account_id, team_id, board, mine, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (account_id, team_id, board, mine) DO UPDATE SET secret = excluded.secret,
               created_at = excluded.created_at"
        } else {
            "INSERT INTO calendar_feeds (secret, account_id, team_id, board, mine, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (account_id, team_id, board, mine) DO NOTHING"
        };
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            sql,
            &[&f.secret, &f.account, &f.team, &f.board, &f.mine, &now_ms()],
        )
        .await?;
        let row = tx
            .query_one(
                "SELECT secret, account_id, team_id, board, mine FROM calendar_feeds
                 WHERE account_id = $1 AND team_id = $2 AND board = $3 AND mine = $4",
                &[&f.account, &f.team, &f.board, &f.mine],
            )
            .await?;
        tx.commit().await?;
        Ok(feed_row(&row))
    }

    pub(super) async fn pg_feed_by_secret(
        &self,
        secret: &str,
    ) -> Result<Option<CalendarFeed>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT secret, account_id, team_id, board, mine FROM calendar_feeds WHERE secret = $1",
                &[&secret],
            )
            .await?;
        Ok(row.as_ref().map(feed_row))
    }
}
