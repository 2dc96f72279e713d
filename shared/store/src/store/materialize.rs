//! Rows materialized from documents. Called inside the transaction that writes
//! the chunk, so the tables never disagree with what was acknowledged.

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::ids::{DocumentId, TaskId};
use crate::model::{Board, Task};

/// Writes a board row and replaces its columns.
pub fn put_board(
    conn: &Connection,
    board: &Board,
    workspace: Option<DocumentId>,
    deleted: bool,
) -> Result<()> {
    let id = board.id.to_string();
    conn.prepare_cached(
        "INSERT INTO boards (doc_id, workspace_id, name, deleted) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (doc_id) DO UPDATE SET workspace_id = excluded.workspace_id,
             name = excluded.name, deleted = excluded.deleted",
    )?
    .execute(params![
        id,
        workspace.map(|w| w.to_string()),
        board.name,
        deleted
    ])?;
    conn.prepare_cached("DELETE FROM columns WHERE board_id = ?1")?
        .execute([&id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO columns (board_id, column_id, name, position) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for column in &board.columns {
        insert.execute(params![
            id,
            column.id.as_str(),
            column.name,
            column.position
        ])?;
    }
    Ok(())
}

/// Removes a task's rows everywhere.
pub fn remove_task(conn: &Connection, task: &TaskId) -> Result<()> {
    let id = task.as_str();
    let rowid: Option<i64> = {
        use rusqlite::OptionalExtension;
        conn.prepare_cached("SELECT id FROM tasks WHERE task_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
    };
    let Some(rowid) = rowid else {
        // Never materialized: it has no rows anywhere (a new task, the
        // common write, skips the deletes).
        return Ok(());
    };
    conn.prepare_cached("DELETE FROM tasks_fts WHERE rowid = ?1")?
        .execute([rowid])?;
    conn.prepare_cached("DELETE FROM tasks WHERE id = ?1")?
        .execute([rowid])?;
    for table in ["task_labels", "task_assignees", "task_listings", "comments"] {
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE task_id = ?1"))?
            .execute([id])?;
    }
    Ok(())
}

/// Writes (or, for a deleted task, removes) a task's rows and its index entry.
pub fn put_task(conn: &Connection, task: &Task) -> Result<()> {
    remove_task(conn, &task.id)?;
    if task.deleted {
        return Ok(());
    }
    let id = task.id.as_str();
    let json = serde_json::to_string(task).unwrap_or_default();
    let rowid: i64 = conn
        .prepare_cached(
            "INSERT INTO tasks (task_id, board_id, title, column_id, position, due_at, due_deadline,
                 reminder_at, priority, created_at, updated_at, completed_at, archived, json,
                 labels, assignees, template_step)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             RETURNING id",
        )?
        .query_row(
            params![
                id,
                task.board.to_string(),
                task.title,
                task.column.as_str(),
                task.position,
                task.due.as_ref().map(|d| d.at.timestamp_millis()),
                task.due.as_ref().map(|d| d.deadline().timestamp_millis()),
                task.reminder.map(|r| r.timestamp_millis()),
                task.priority.rank(),
                task.created_at.timestamp_millis(),
                task.updated_at.timestamp_millis(),
                task.completed_at.map(|c| c.timestamp_millis()),
                task.archived,
                json,
                task.labels.join("\u{1f}"),
                task.assignees.join("\u{1f}"),
                task.template
                    .as_ref()
                    .map(|l| format!("{}#{}", l.template, l.step)),
            ],
            |r| r.get(0),
        )?;
    let extra: Vec<&str> = task
        .labels
        .iter()
        .chain(&task.assignees)
        .chain(&task.listings)
        .map(String::as_str)
        .chain(task.checklist.iter().map(|c| c.text.as_str()))
        .chain(task.comments.iter().map(|c| c.text.as_str()))
        .collect();
    conn.prepare_cached(
        "INSERT INTO tasks_fts (rowid, title, description, extra) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        rowid,
        task.title,
        task.description,
        extra.join("\n")
    ])?;
    for (table, column, values) in [
        ("task_labels", "label", &task.labels),
        ("task_assignees", "name", &task.assignees),
        ("task_listings", "listing_key", &task.listings),
    ] {
        let mut stmt = conn.prepare_cached(&format!(
            "INSERT OR IGNORE INTO {table} ({column}, task_id) VALUES (?1, ?2)"
        ))?;
        for value in values {
            stmt.execute([value.as_str(), id])?;
        }
    }
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO comments (task_id, comment_id, author, at, text) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in &task.comments {
        stmt.execute(params![
            id,
            c.id.as_str(),
            c.author,
            c.at.timestamp_millis(),
            c.text
        ])?;
    }
    Ok(())
}

/// Removes every task row of a board (before re-materializing it whole).
pub fn clear_board_tasks(conn: &Connection, board: DocumentId) -> Result<()> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT task_id FROM tasks WHERE board_id = ?1")?
        .query_map([board.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        remove_task(conn, &TaskId::new(id))?;
    }
    Ok(())
}

/// Records a board's renames (see [`porchlight_model::people`]).
pub fn put_renames(
    conn: &Connection,
    board: DocumentId,
    renames: &porchlight_model::people::Renames,
) -> Result<()> {
    let json = serde_json::to_string(renames.pairs()).unwrap_or_else(|_| "{}".into());
    conn.prepare_cached("UPDATE boards SET renames = ?2 WHERE doc_id = ?1")?
        .execute(params![board.to_string(), json])?;
    Ok(())
}

/// Empties every materialized table (for `reindex`).
pub fn clear_all(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM tasks_fts; DELETE FROM tasks; DELETE FROM task_labels;
         DELETE FROM task_assignees; DELETE FROM task_listings; DELETE FROM comments;
         DELETE FROM columns; DELETE FROM boards;
         DELETE FROM listings_fts; DELETE FROM listings;",
    )?;
    Ok(())
}

/// Replaces the rows of every listing in a shard document.
pub fn put_listing_shard(
    conn: &Connection,
    doc: DocumentId,
    listings: &std::collections::BTreeMap<String, crate::doc::listing_shard::CachedListing>,
) -> Result<usize> {
    let id = doc.to_string();
    conn.prepare_cached(
        "DELETE FROM listings_fts WHERE rowid IN (SELECT id FROM listings WHERE doc_id = ?1)",
    )?
    .execute([&id])?;
    conn.prepare_cached("DELETE FROM listings WHERE doc_id = ?1")?
        .execute([&id])?;
    insert_listings(conn, &id, listings.values())
}

/// Replaces the rows of one listing of a shard (a note, a tag): `listing`
/// is what the shard now holds of it.
pub fn put_listing(
    conn: &Connection,
    doc: DocumentId,
    key: &str,
    listing: Option<&crate::doc::listing_shard::CachedListing>,
) -> Result<()> {
    let id = doc.to_string();
    conn.prepare_cached(
        "DELETE FROM listings_fts WHERE rowid IN
             (SELECT id FROM listings WHERE doc_id = ?1 AND listing_key = ?2)",
    )?
    .execute([&id, key])?;
    conn.prepare_cached("DELETE FROM listings WHERE doc_id = ?1 AND listing_key = ?2")?
        .execute([&id, key])?;
    insert_listings(conn, &id, listing)?;
    Ok(())
}

fn insert_listings<'a>(
    conn: &Connection,
    id: &str,
    listings: impl IntoIterator<Item = &'a crate::doc::listing_shard::CachedListing>,
) -> Result<usize> {
    let mut count = 0;
    let mut insert = conn.prepare_cached(
        "INSERT INTO listings (doc_id, source, listing_key, in_mls, status, property_type,
             list_price, close_price, beds, baths, living_area, year_built, city, postal_code,
             latitude, longitude, list_date, close_date, days_on_market, modified, favourite, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20, ?21, ?22) RETURNING id",
    )?;
    let mut fts = conn.prepare_cached(
        "INSERT INTO listings_fts (rowid, address, city, remarks, team) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for c in listings {
        count += 1;
        let l = c.mls.as_ref();
        let json = serde_json::to_string(c).unwrap_or_default();
        let rowid: i64 = insert.query_row(
            params![
                id,
                c.source,
                c.key,
                l.is_some(),
                l.and_then(|l| l.standard_status).map(|s| s.as_str()),
                l.and_then(|l| l.property_type.clone()),
                l.and_then(|l| l.list_price),
                l.and_then(|l| l.close_price),
                l.and_then(|l| l.bedrooms_total),
                l.and_then(|l| l.bathrooms_total_integer),
                l.and_then(|l| l.living_area),
                l.and_then(|l| l.year_built),
                l.and_then(|l| l.city.clone()),
                l.and_then(|l| l.postal_code.clone()),
                l.and_then(|l| l.latitude),
                l.and_then(|l| l.longitude),
                l.and_then(|l| l.listing_contract_date)
                    .map(|d| d.to_string()),
                l.and_then(|l| l.close_date).map(|d| d.to_string()),
                l.and_then(|l| l.days_on_market),
                l.and_then(|l| l.modification_timestamp)
                    .map(|t| t.timestamp_millis()),
                c.team.favourite,
                json,
            ],
            |r| r.get(0),
        )?;
        let team: Vec<&str> = c
            .team
            .notes
            .iter()
            .map(|n| n.text.as_str())
            .chain(c.team.tags.iter().map(String::as_str))
            .collect();
        fts.execute(params![
            rowid,
            l.and_then(|l| l.unparsed_address.clone())
                .unwrap_or_default(),
            l.and_then(|l| l.city.clone()).unwrap_or_default(),
            l.and_then(|l| l.public_remarks.clone()).unwrap_or_default(),
            team.join("\n"),
        ])?;
    }
    Ok(count)
}
