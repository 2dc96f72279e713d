//! Numbered migrations for PostgreSQL, applied at start in one transaction
//! each, under an advisory lock (nodes starting together take turns); a
//! database from a newer relay is refused in words.

use super::StoreError;

/// (version, SQL). Append only.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_view.sql")),
    (3, include_str!("migrations/0003_webhooks.sql")),
    (4, include_str!("migrations/0004_mail.sql")),
    (5, include_str!("migrations/0005_view_version.sql")),
    (6, include_str!("migrations/0006_digest.sql")),
    (7, include_str!("migrations/0007_event_once.sql")),
    (8, include_str!("migrations/0008_mentions.sql")),
];

/// The advisory lock key ("porchlight" in ASCII, folded into an i64).
const LOCK: i64 = 0x706f_7263_686c_6967;

pub(super) async fn apply(
    client: &mut tokio_postgres::Client,
    name: &str,
) -> Result<(), StoreError> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS porchlight_schema (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM porchlight_schema",
            &[],
        )
        .await?
        .get(0);
    if current > known {
        return Err(StoreError::TooNew {
            path: name.to_string(),
            found: current,
            known,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO porchlight_schema (version, applied_at) VALUES ($1, $2)",
            &[version, &crate::store::now_ms()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
