//! Moving a relay's data: an SQLite relay migrated to PostgreSQL keeps its
//! accounts, teams, keys, audit log and documents (and new rows do not
//! collide with the copied ids); an SQLite backup taken while the relay
//! serves restores into a working relay.

use crate::common;

use automerge::AutoCommit;
use common::{Client, TestRelay, team};
use porchlight_relay::config::DatabaseUrl;
use porchlight_relay::store::migrate;
use porchlight_testkit::services::TestPostgres;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_relay_moves_to_postgresql_with_everything() {
    let dir = tempfile::tempdir().expect("dir");
    let mut relay = TestRelay::start_sqlite(dir.path()).await;
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.edit(&t.doc, "price", "$450,000").await;
    owner.pump().await;
    let (_, key) = relay
        .post(
            &format!("/api/teams/{}/apikeys", t.id),
            Some(&t.owner),
            json!({ "name": "script", "scope": "read" }),
        )
        .await;
    let key = key["key"].as_str().expect("key").to_string();
    relay.stop().await;

    let pg = TestPostgres::start().expect("PostgreSQL");
    let url = pg.database("moved").expect("database");
    let mut seen = Vec::new();
    let report = migrate::sqlite_to_postgres(&dir.path().join("relay.db"), &url, &mut |t, n| {
        seen.push((t.to_string(), n))
    })
    .await
    .expect("migrate");
    assert!(
        report.iter().any(|(t, n)| t == "chunks" && *n > 0),
        "{report:?}"
    );
    assert!(!seen.is_empty(), "no progress was reported");
    // A second migration into the same database is refused, in words.
    let e = migrate::sqlite_to_postgres(&dir.path().join("relay.db"), &url, &mut |_, _| {})
        .await
        .expect_err("not empty");
    assert!(e.to_string().contains("empty database"), "{e}");

    let other = tempfile::tempdir().expect("dir");
    let moved = TestRelay::start_with(other.path(), |c| c.database = Some(DatabaseUrl(url))).await;
    assert!(moved.store().describe().starts_with("postgres"));
    // The old tokens, passwords, keys and documents all work.
    let (s, teams) = moved
        .call(Method::GET, "/api/teams", Some(&t.owner), None)
        .await;
    assert_eq!(s, 200, "{teams}");
    assert_eq!(teams[0]["id"], t.id);
    let (s, _) = moved
        .post(
            "/api/login",
            None,
            json!({ "email": "member@example.com", "password": "correct horse" }),
        )
        .await;
    assert_eq!(s, 200);
    let mut reader = Client::connect(&moved.ws, &key).await;
    reader.open(&t.doc, AutoCommit::new()).await;
    reader.pump().await;
    assert_eq!(reader.get(&t.doc, "price").as_deref(), Some("$450,000"));
    let (_, log) = moved
        .call(
            Method::GET,
            &format!("/api/teams/{}/audit", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert!(log.as_array().is_some_and(|l| !l.is_empty()), "{log}");
    // New rows take ids after the copied ones.
    let (s, body) = moved
        .post(
            "/api/teams",
            Some(&t.owner),
            json!({ "name": "After the move" }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert!(body["id"].as_i64() > Some(t.id), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_into_a_working_relay() {
    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_sqlite(dir.path()).await;
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.edit(&t.doc, "status", "Closed").await;
    owner.pump().await;
    let backup = dir.path().join("backup.db");
    migrate::backup(&dir.path().join("relay.db"), &backup).expect("backup while serving");
    let e = migrate::backup(&dir.path().join("relay.db"), &backup).expect_err("exists");
    assert!(e.to_string().contains("new file"), "{e}");

    let restored = tempfile::tempdir().expect("dir");
    let db = restored.path().join("relay.db");
    migrate::restore(&backup, &db, false).expect("restore");
    let e = migrate::restore(&backup, &db, false).expect_err("exists");
    assert!(e.to_string().contains("--force"), "{e}");
    std::fs::write(restored.path().join("junk"), b"not a database").expect("junk");
    let e = migrate::restore(&restored.path().join("junk"), &db, true).expect_err("junk");
    assert!(e.to_string().contains("relay database"), "{e}");
    let relay = TestRelay::start_sqlite(restored.path()).await;
    let mut reader = Client::connect(&relay.ws, &t.member).await;
    reader.open(&t.doc, AutoCommit::new()).await;
    reader.pump().await;
    assert_eq!(reader.get(&t.doc, "status").as_deref(), Some("Closed"));
}
