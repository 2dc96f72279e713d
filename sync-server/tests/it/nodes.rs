//! Several relay nodes on one PostgreSQL database and one NATS server, on
//! loopback, each test with throwaway servers of its own: clients on
//! different nodes converge, presence and access changes cross, and a node
//! that lost NATS keeps serving and catches up when it returns.

use crate::common;

use std::time::Duration;

use automerge::{AutoCommit, ReadDoc};
use common::{Client, TestRelay, team};
use porchlight_relay::config::DatabaseUrl;
use porchlight_testkit::services::{TestNats, TestPostgres};
use reqwest::Method;

struct Cluster {
    nodes: Vec<TestRelay>,
    nats: TestNats,
    _pg: TestPostgres,
    _dirs: Vec<tempfile::TempDir>,
}

async fn cluster(n: usize) -> Cluster {
    let pg = TestPostgres::start().expect("PostgreSQL");
    let url = pg.database("relay").expect("database");
    let nats = TestNats::start().expect("nats-server");
    let mut nodes = Vec::new();
    let mut dirs = Vec::new();
    for _ in 0..n {
        let dir = tempfile::tempdir().expect("dir");
        let (db, nats_url) = (url.clone(), nats.url());
        nodes.push(
            TestRelay::start_with(dir.path(), move |c| {
                c.database = Some(DatabaseUrl(db));
                c.nats = Some(nats_url);
            })
            .await,
        );
        dirs.push(dir);
    }
    for node in &nodes {
        wait_ready(node, true).await;
    }
    Cluster {
        nodes,
        nats,
        _pg: pg,
        _dirs: dirs,
    }
}

async fn ready(node: &TestRelay) -> (u16, String) {
    let r = reqwest::get(format!("{}/readyz", node.base))
        .await
        .expect("readyz");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn wait_ready(node: &TestRelay, want: bool) {
    for _ in 0..200 {
        if (ready(node).await.0 == 200) == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{} never became {}ready",
        node.base,
        if want { "" } else { "un" }
    );
}

/// Pumps both until `check` holds (or gives up after a few seconds).
async fn until(a: &mut Client, b: &mut Client, check: impl Fn(&Client, &Client) -> bool) {
    for _ in 0..40 {
        a.pump_for(Duration::from_millis(50)).await;
        b.pump_for(Duration::from_millis(50)).await;
        if check(a, b) {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_two_nodes_edit_one_board_and_converge_and_see_each_other() {
    let c = cluster(2).await;
    let (one, two) = (&c.nodes[0], &c.nodes[1]);
    let t = team(one).await;
    let mut a = Client::connect(&one.ws, &t.owner).await;
    let mut b = Client::connect(&two.ws, &t.member).await;
    a.open(&t.doc, AutoCommit::new()).await;
    b.open(&t.doc, AutoCommit::new()).await;
    a.pump().await;
    b.pump().await;
    a.edit(&t.doc, "price", "$450,000").await;
    b.edit(&t.doc, "status", "Pending").await;
    until(&mut a, &mut b, |a, b| {
        a.get(&t.doc, "status").is_some() && b.get(&t.doc, "price").is_some()
    })
    .await;
    for client in [&a, &b] {
        assert_eq!(client.get(&t.doc, "price").as_deref(), Some("$450,000"));
        assert_eq!(client.get(&t.doc, "status").as_deref(), Some("Pending"));
    }
    // Presence from node 1 reaches the peer on node 2.
    let me = a.engine.peer_id().clone();
    a.ephemeral(&t.doc, me.clone(), b"viewing the board").await;
    until(&mut a, &mut b, |_, b| !b.ephemeral.is_empty()).await;
    assert!(
        b.ephemeral.iter().any(|(sender, doc, data)| *sender == me
            && *doc == t.doc
            && data == b"viewing the board"),
        "{:?}",
        b.ephemeral
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removals_and_revocations_reach_connections_on_the_other_node() {
    let c = cluster(2).await;
    let (one, two) = (&c.nodes[0], &c.nodes[1]);
    let t = team(one).await;
    let member_id = one.me(&t.member).await;
    let (_, me) = one
        .call(Method::GET, "/api/me", Some(&t.viewer), None)
        .await;
    let viewer_device = me["device"].as_i64().expect("device");
    let mut member = Client::connect(&two.ws, &t.member).await;
    let mut viewer = Client::connect(&two.ws, &t.viewer).await;
    member.open(&t.doc, AutoCommit::new()).await;
    viewer.open(&t.doc, AutoCommit::new()).await;
    member.pump().await;
    viewer.pump().await;
    let (s, body) = one
        .call(
            Method::DELETE,
            &format!("/api/teams/{}/members/{member_id}", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = one
        .call(
            Method::DELETE,
            &format!("/api/devices/{viewer_device}"),
            Some(&t.viewer),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    until(&mut member, &mut viewer, |m, v| {
        m.unavailable.contains(&t.doc) && v.closed.is_some()
    })
    .await;
    assert!(
        member.unavailable.contains(&t.doc),
        "the removal did not reach node 2"
    );
    assert_eq!(
        viewer.closed,
        Some(1008),
        "the revocation did not reach node 2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_nats_keeps_serving_says_so_and_catches_up_when_it_returns() {
    let mut c = cluster(2).await;
    let t = team(&c.nodes[0]).await;
    let mut a = Client::connect(&c.nodes[0].ws, &t.owner).await;
    let mut b = Client::connect(&c.nodes[1].ws, &t.member).await;
    a.open(&t.doc, AutoCommit::new()).await;
    b.open(&t.doc, AutoCommit::new()).await;
    a.pump().await;
    b.pump().await;
    let port = c.nats.port;
    c.nats.stop();
    for node in &c.nodes {
        wait_ready(node, false).await;
        let (s, text) = ready(node).await;
        assert_eq!(s, 503);
        assert!(text.contains("NATS"), "{text}");
    }
    // Each node still serves its own clients, and stores what they write.
    a.edit(&t.doc, "offline-a", "written on node 1").await;
    b.edit(&t.doc, "offline-b", "written on node 2").await;
    a.pump().await;
    b.pump().await;
    let mut stored = AutoCommit::new();
    for chunk in c.nodes[0]
        .store()
        .load_chunks(&t.doc)
        .await
        .expect("chunks")
    {
        stored.load_incremental(&chunk.data).expect("chunk");
    }
    for key in ["offline-a", "offline-b"] {
        assert!(
            stored.get(automerge::ROOT, key).expect("get").is_some(),
            "{key} was not stored while NATS was away"
        );
    }
    c.nats = TestNats::start_on(port).expect("NATS again");
    for node in &c.nodes {
        wait_ready(node, true).await;
    }
    until(&mut a, &mut b, |a, b| {
        a.get(&t.doc, "offline-b").is_some() && b.get(&t.doc, "offline-a").is_some()
    })
    .await;
    assert_eq!(
        a.get(&t.doc, "offline-b").as_deref(),
        Some("written on node 2"),
        "node 1 did not catch up"
    );
    assert_eq!(
        b.get(&t.doc, "offline-a").as_deref(),
        Some("written on node 1"),
        "node 2 did not catch up"
    );
}

/// On PostgreSQL a chunk's id is handed out when it is inserted and the
/// chunk is seen when its transaction commits, so another node's change
/// can become visible after this node's view has read a chunk with a
/// higher id. The view still reads it: before, it asked only for ids
/// above the largest it had read, and such a change reached neither the
/// view nor the webhooks until a reindex.
#[tokio::test]
async fn the_view_reads_a_change_that_commits_after_a_later_one() {
    use porchlight_doc::BoardDoc;
    use porchlight_model::board::Task;

    let pg = TestPostgres::start().expect("PostgreSQL");
    let url = pg.database("relay").expect("database");
    let dir = tempfile::tempdir().expect("dir");
    let db = url.clone();
    let relay =
        TestRelay::start_with(dir.path(), move |c| c.database = Some(DatabaseUrl(db))).await;
    let t = team(&relay).await;
    let made = common::at("2027-01-05T10:00:00Z");
    let (mut board, id, todo) = common::elm_board(&t.doc, made);
    let task = |title: &str| Task::new(id, title, todo.clone(), "a", "owner", made);
    board.insert_task(&task("First")).expect("task");
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, board.into_doc()).await;
    owner.pump().await;
    let titles = |rows: &[porchlight_relay::store::ViewTask]| -> Vec<String> {
        let mut t: Vec<String> = rows
            .iter()
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.data).ok())
            .filter_map(|v| v["title"].as_str().map(str::to_string))
            .collect();
        t.sort();
        t
    };
    assert!(relay.view_until(&t.doc, |rows| rows.len() == 1).await);

    // Adds a task on the owner's device and syncs it through the relay.
    async fn add(owner: &mut Client, doc: &str, t: &Task) {
        let am = owner.engine.document_mut(doc).expect("doc");
        let mut b = BoardDoc::from_doc(std::mem::take(am)).expect("board");
        b.insert_task(t).expect("task");
        b.doc_mut().commit();
        *am = b.into_doc();
        let effects = owner.engine.local_change(doc);
        owner.perform(effects).await;
        owner.pump().await;
    }

    // "Another node" inserts a change and has not committed it yet.
    let (mut pg_client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    let mut fork = owner.engine.document_mut(&t.doc).expect("doc").fork();
    let heads = fork.get_heads();
    let mut other = BoardDoc::from_doc(fork).expect("board");
    other.insert_task(&task("Late")).expect("task");
    let late = other.doc_mut().save_after(&heads);
    let tx = pg_client.transaction().await.expect("begin");
    tx.execute(
        "INSERT INTO chunks (doc_id, data) VALUES ($1, $2)",
        &[&t.doc, &late],
    )
    .await
    .expect("insert");

    // This node commits a later change (a higher id), and its view reads it.
    add(&mut owner, &t.doc, &task("Next")).await;
    assert!(
        relay
            .view_until(&t.doc, |rows| titles(rows) == ["First", "Next"])
            .await
    );
    // The other node's change commits; the next refresh must find it.
    tx.commit().await.expect("commit");
    add(&mut owner, &t.doc, &task("Third")).await;
    let want = ["First", "Late", "Next", "Third"];
    assert!(
        relay.view_until(&t.doc, |rows| titles(rows) == want).await,
        "the view has {:?}",
        titles(
            &relay
                .state()
                .store
                .view_tasks_of(&t.doc, None)
                .await
                .expect("view")
        )
    );
}
