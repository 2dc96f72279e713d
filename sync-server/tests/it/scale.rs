//! The relay across its cores and over time: documents spread over hub
//! shards still converge, and a long-lived document's stored chunks are
//! folded into a snapshot while writers go on, losing nothing.

use crate::common;

use std::time::Duration;

use automerge::AutoCommit;
use common::{Client, TestRelay, team};
use porchlight_model::ids::DocumentId;
use serde_json::json;

async fn metric(relay: &TestRelay, name: &str) -> f64 {
    let text = reqwest::get(format!("{}/metrics", relay.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_busy_document_is_compacted_while_it_is_written_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("dir");
    let mut relay = TestRelay::start_in(dir.path()).await;
    let t = team(&relay).await;
    let mut writer = Client::connect(&relay.ws, &t.owner).await;
    let mut reader = Client::connect(&relay.ws, &t.member).await;
    writer.open(&t.doc, AutoCommit::new()).await;
    reader.open(&t.doc, AutoCommit::new()).await;
    writer.pump().await;
    // Each edit waits for the relay's answer, so each is its own chunk.
    for i in 0..200 {
        writer
            .edit(&t.doc, &format!("k{i}"), &format!("v{i}"))
            .await;
        writer.pump_for(Duration::from_millis(5)).await;
    }
    writer.pump().await;
    reader.pump().await;
    for _ in 0..100 {
        if metric(&relay, "porchlight_compactions_total").await >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(metric(&relay, "porchlight_compactions_total").await >= 1.0);
    let chunks = relay.store().load_chunks(&t.doc).await.expect("chunks");
    assert!(
        chunks.len() < 150,
        "{} chunks after compaction",
        chunks.len()
    );
    for i in [0, 99, 199] {
        assert_eq!(reader.get(&t.doc, &format!("k{i}")), Some(format!("v{i}")));
    }
    // A relay started on the compacted store has everything.
    relay.stop().await;
    let relay = TestRelay::start_in(dir.path()).await;
    let mut fresh = Client::connect(&relay.ws, &t.member).await;
    fresh.open(&t.doc, AutoCommit::new()).await;
    fresh.pump().await;
    for i in 0..200 {
        assert_eq!(
            fresh.get(&t.doc, &format!("k{i}")),
            Some(format!("v{i}")),
            "k{i} was lost"
        );
    }
}

/// On PostgreSQL a chunk's id is handed out when it is inserted but is
/// seen when its transaction commits, so compaction can read chunks 7 and
/// 9 while 8 is still committing. It must then delete 7 and 9 only: before,
/// it deleted every id up to the largest it read, and 8, never read, was
/// gone (the multi-node kill test lost acknowledged changes this way).
#[tokio::test]
async fn compaction_deletes_only_the_chunks_it_read() {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};
    use porchlight_relay::compact::load_document;

    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_in(dir.path()).await;
    let t = team(&relay).await;
    let store = relay.store();
    // Three changes from three devices, each stored as its own chunk.
    for key in ["a", "b", "c"] {
        let mut device = AutoCommit::new();
        device.put(ROOT, key, "kept").expect("put");
        let bytes = device.save();
        store
            .append_chunks(&[(t.doc.clone(), bytes)])
            .await
            .expect("append");
    }
    let all = store.load_chunks(&t.doc).await.expect("chunks");
    // Compaction reads every chunk but b's (still committing, as it were).
    let b = all.len() - 2;
    let read: Vec<_> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != b)
        .map(|(_, c)| porchlight_relay::store::Chunk {
            id: c.id,
            data: c.data.clone(),
        })
        .collect();
    let snapshot = load_document(&read).expect("load").save();
    let ids: Vec<i64> = read.iter().map(|c| c.id).collect();
    store
        .compact(&t.doc, &ids, &snapshot)
        .await
        .expect("compact");
    let after = load_document(&store.load_chunks(&t.doc).await.expect("chunks")).expect("load");
    for key in ["a", "b", "c"] {
        assert!(
            after.get(ROOT, key).expect("get").is_some(),
            "{key} was folded away unread"
        );
    }
}

#[tokio::test]
async fn documents_on_many_shards_all_converge() {
    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_with(dir.path(), |c| c.hub_shards = Some(5)).await;
    let t = team(&relay).await;
    let docs: Vec<String> = (0..12).map(|_| DocumentId::random().to_string()).collect();
    for doc in &docs {
        let (s, body) = relay
            .post(
                &format!("/api/teams/{}/documents", t.id),
                Some(&t.owner),
                json!({ "document": doc }),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let mut a = Client::connect(&relay.ws, &t.owner).await;
    let mut b = Client::connect(&relay.ws, &t.member).await;
    for doc in &docs {
        a.open(doc, AutoCommit::new()).await;
        b.open(doc, AutoCommit::new()).await;
    }
    a.pump().await;
    b.pump().await;
    for (i, doc) in docs.iter().enumerate() {
        a.edit(doc, "from-a", &format!("a{i}")).await;
        b.edit(doc, "from-b", &format!("b{i}")).await;
    }
    for _ in 0..3 {
        a.pump().await;
        b.pump().await;
    }
    for (i, doc) in docs.iter().enumerate() {
        for c in [&a, &b] {
            assert_eq!(c.get(doc, "from-a"), Some(format!("a{i}")), "{doc}");
            assert_eq!(c.get(doc, "from-b"), Some(format!("b{i}")), "{doc}");
        }
    }
}
