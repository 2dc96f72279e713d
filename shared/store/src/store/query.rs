//! Task queries, answered from the materialized tables alone.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, ToSql};

use crate::error::{CoreError, Result};
use crate::ids::{ColumnId, DocumentId};
use crate::model::Task;
use crate::time::{local_date, local_days};

/// Which due dates to keep, in the user's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    /// Due today (open tasks).
    Today,
    /// Due tomorrow.
    Tomorrow,
    /// Past their deadline and not done.
    Overdue,
    /// Due from today through the next 6 days.
    Week,
    /// Due on a given local date.
    On(NaiveDate),
    /// No due date.
    None,
}

impl DueFilter {
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "today" => Ok(Self::Today),
            "tomorrow" => Ok(Self::Tomorrow),
            "overdue" => Ok(Self::Overdue),
            "week" | "7d" | "next7" => Ok(Self::Week),
            "none" => Ok(Self::None),
            other => NaiveDate::parse_from_str(other, "%Y-%m-%d")
                .map(Self::On)
                .map_err(|_| {
                    CoreError::Model(crate::ModelError::InvalidValue {
                        what: "due filter",
                        value: text.to_string(),
                        hint: "use today, tomorrow, overdue, week, none or a date like 2026-12-05",
                    })
                }),
        }
    }
}

/// A task query. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub board: Option<DocumentId>,
    pub column: Option<ColumnId>,
    pub due: Option<DueFilter>,
    pub assignee: Option<String>,
    pub label: Option<String>,
    /// Tasks linked to this listing (its key).
    pub listing: Option<String>,
    /// Full-text search; results are ranked by relevance.
    pub search: Option<String>,
    /// Include completed tasks (left out by default).
    pub include_done: bool,
    /// Include archived tasks (left out by default).
    pub include_archived: bool,
    pub limit: Option<usize>,
}

/// Turns user text into a safe FTS5 query: every word must match, as a prefix.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(32)
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

pub(crate) fn tasks(
    conn: &Connection,
    query: &TaskQuery,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Result<Vec<Task>> {
    let rows = task_json(conn, query, now, tz)?;
    decode_all(&rows)
}

/// Rows above which decoding is split across the machine's cores.
const PARALLEL_ROWS: usize = 256;

/// Decodes task rows, in order; long lists on several threads (decoding
/// the JSON, not SQLite, is most of a long list's time).
fn decode_all(rows: &[String]) -> Result<Vec<Task>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if rows.len() < PARALLEL_ROWS || threads < 2 {
        return rows.iter().map(|json| decode_row(json, "task")).collect();
    }
    let chunk = rows.len().div_ceil(threads);
    let parts: Vec<Result<Vec<Task>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|json| decode_row(json, "task"))
                        .collect::<Result<Vec<Task>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(CoreError::CorruptDocument {
                        doc: "materialized task".into(),
                        reason: "decoding a row panicked; run `porchlight reindex`".into(),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(rows.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// A materialized row's JSON (`what`: "task", "listing"); one that does not
/// read means the tables are out of step with the documents.
pub(crate) fn decode_row<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| CoreError::CorruptDocument {
        doc: format!("materialized {what}"),
        reason: format!("{e}; run `porchlight reindex`"),
    })
}

/// The tasks matching `query`, each as the JSON the materialized table
/// holds (the task's own serialization), in the query's order.
pub(crate) fn task_json(
    conn: &Connection,
    query: &TaskQuery,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Result<Vec<String>> {
    let mut sql = String::from("SELECT t.json FROM tasks t");
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let mut order = String::from(
        " ORDER BY t.board_id, (SELECT position FROM columns c WHERE c.board_id = t.board_id AND c.column_id = t.column_id), t.position, t.task_id",
    );
    if let Some(text) = &query.search {
        let Some(fts) = fts_query(text) else {
            return Ok(vec![]);
        };
        sql.push_str(" JOIN tasks_fts f ON f.rowid = t.id");
        clauses.push("tasks_fts MATCH ?".into());
        args.push(Box::new(fts));
        // Title matches weigh most, then the description, then the rest.
        order = " ORDER BY bm25(tasks_fts, 10.0, 4.0, 1.0), t.updated_at DESC".into();
    }
    if let Some(board) = query.board {
        clauses.push("t.board_id = ?".into());
        args.push(Box::new(board.to_string()));
    }
    if let Some(column) = &query.column {
        clauses.push("t.column_id = ?".into());
        args.push(Box::new(column.as_str().to_string()));
    }
    if let Some(name) = &query.assignee {
        clauses.push("t.task_id IN (SELECT task_id FROM task_assignees WHERE name = ?)".into());
        args.push(Box::new(name.trim_start_matches('@').to_string()));
    }
    if let Some(label) = &query.label {
        clauses.push("t.task_id IN (SELECT task_id FROM task_labels WHERE label = ?)".into());
        args.push(Box::new(label.trim_start_matches('#').to_lowercase()));
    }
    if let Some(key) = &query.listing {
        clauses
            .push("t.task_id IN (SELECT task_id FROM task_listings WHERE listing_key = ?)".into());
        args.push(Box::new(key.trim().to_string()));
    }
    if !query.include_done {
        clauses.push("t.completed_at IS NULL".into());
    }
    if !query.include_archived {
        clauses.push("t.archived = 0".into());
    }
    if let Some(due) = query.due {
        let today = local_date(tz, now);
        let day_range = |date: NaiveDate, days: u64| local_days(tz, date, days);
        let range = match due {
            DueFilter::Today => Some(day_range(today, 1)),
            DueFilter::Tomorrow => Some(day_range(
                today.checked_add_days(Days::new(1)).unwrap_or(today),
                1,
            )),
            DueFilter::Week => Some(day_range(today, 7)),
            DueFilter::On(date) => Some(day_range(date, 1)),
            DueFilter::Overdue => {
                clauses.push("t.due_deadline <= ?".into());
                args.push(Box::new(now.timestamp_millis()));
                None
            }
            DueFilter::None => {
                clauses.push("t.due_at IS NULL".into());
                None
            }
        };
        if let Some((start, end)) = range {
            // A task is due in [start, end) if its due instant falls there.
            clauses.push("t.due_at >= ? AND t.due_at < ?".into());
            args.push(Box::new(start.timestamp_millis()));
            args.push(Box::new(end.timestamp_millis()));
        }
        if query.search.is_none() {
            order = " ORDER BY t.due_at, t.priority DESC, t.task_id".into();
        }
    }
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
    }
    sql.push_str(&order);
    if let Some(limit) = query.limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
    let rows = stmt.query_map(params.as_slice(), |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_are_quoted_prefix_terms() {
        assert_eq!(fts_query("oak st").as_deref(), Some("\"oak\"* AND \"st\"*"));
        assert_eq!(
            fts_query("\"NEAR(\" OR *"),
            Some("\"NEAR\"* AND \"OR\"*".into())
        );
        assert_eq!(fts_query("  # ! "), None);
    }

    #[test]
    fn due_filters_parse() {
        assert_eq!(DueFilter::parse("Today").ok(), Some(DueFilter::Today));
        assert!(matches!(
            DueFilter::parse("2026-12-05"),
            Ok(DueFilter::On(_))
        ));
        assert!(DueFilter::parse("someday").is_err());
    }
}
