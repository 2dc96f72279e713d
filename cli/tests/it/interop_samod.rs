//! Interoperability with `samod`, the Rust automerge-repo implementation: a
//! samod repo dials the relay with a bearer token and writes a board that
//! `porchlight sync` then sees, and a fresh samod repo fetches what the CLI
//! wrote.

use crate::common;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc, ScalarValue};
use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use samod::{BackoffConfig, DialError, Dialer, DocumentId, Repo, Transport, Url};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use common::{json, pl, sign_in, start, stop};

/// Dials the relay's `/sync` with `Authorization: Bearer`.
struct BearerDialer {
    url: Url,
    token: String,
}

#[derive(Debug)]
struct WsError(String);

impl std::fmt::Display for WsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WsError {}

impl Dialer for BearerDialer {
    type Error = Infallible;

    fn url(&self) -> Url {
        self.url.clone()
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<Infallible>>> {
        let url = self.url.clone();
        let token = self.token.clone();
        Box::pin(async move {
            let mut request = url
                .as_str()
                .into_client_request()
                .map_err(|e| DialError::transient(WsError(e.to_string())))?;
            let bearer = format!("Bearer {token}")
                .parse()
                .map_err(|_| DialError::transient(WsError("bad token".into())))?;
            request.headers_mut().insert("authorization", bearer);
            let (ws, _) = tokio_tungstenite::connect_async(request)
                .await
                .map_err(|e| DialError::transient(WsError(e.to_string())))?;
            let (sink, stream) = ws.split();
            let stream = stream.filter_map(|msg| async move {
                match msg {
                    Ok(Message::Binary(bytes)) => Some(Ok(bytes.to_vec())),
                    Ok(_) => None,
                    Err(e) => Some(Err(WsError(e.to_string()))),
                }
            });
            let sink =
                sink.sink_map_err(|e| WsError(e.to_string()))
                    .with(|bytes: Vec<u8>| async move {
                        Ok::<_, WsError>(Message::Binary(bytes.into()))
                    });
            Ok(Transport::new(Box::pin(stream), Box::pin(sink)))
        })
    }
}

/// Connects a samod repo to the relay and waits for the handshake.
async fn dial(
    repo: &Repo,
    addr: std::net::SocketAddr,
    token: &str,
) -> samod::DialerHandle<Infallible> {
    let dialer = Arc::new(BearerDialer {
        url: Url::parse(&format!("ws://{addr}/sync")).expect("url"),
        token: token.to_string(),
    });
    let handle = repo
        .dial(BackoffConfig::default(), dialer)
        .expect("repo running");
    tokio::time::timeout(Duration::from_secs(20), handle.established())
        .await
        .expect("samod connects within 20 s")
        .expect("samod connects");
    handle
}

/// A Porchlight board with one task, written with plain automerge calls the
/// way any automerge-repo peer would.
fn board(id: &str, title: &str) -> Automerge {
    let mut doc = Automerge::new();
    let now = ScalarValue::Timestamp(chrono::Utc::now().timestamp_millis());
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        tx.put(ROOT, "schema", 1_i64)?;
        tx.put(ROOT, "type", "board")?;
        tx.put(ROOT, "id", id)?;
        tx.put(ROOT, "name", "From samod")?;
        tx.put(ROOT, "created_at", now.clone())?;
        let columns = tx.put_object(ROOT, "columns", ObjType::Map)?;
        let column = tx.put_object(&columns, "c0lumn01", ObjType::Map)?;
        tx.put(&column, "name", "To do")?;
        tx.put(&column, "position", "i")?;
        let tasks = tx.put_object(ROOT, "tasks", ObjType::Map)?;
        let task = tx.put_object(&tasks, "0123456789abcdef", ObjType::Map)?;
        tx.put(&task, "title", title)?;
        let description = tx.put_object(&task, "description", ObjType::Text)?;
        tx.splice_text(&description, 0, 0, "written by samod")?;
        tx.put(&task, "column", "c0lumn01")?;
        tx.put(&task, "position", "i")?;
        tx.put(&task, "priority", "urgent")?;
        let labels = tx.put_object(&task, "labels", ObjType::Map)?;
        tx.put(&labels, "interop", true)?;
        for empty in ["assignees", "listings", "checklist", "comments"] {
            tx.put_object(&task, empty, ObjType::Map)?;
        }
        for field in ["created_by", "updated_by"] {
            tx.put(&task, field, "samod")?;
        }
        for field in ["created_at", "updated_at"] {
            tx.put(&task, field, now.clone())?;
        }
        Ok(())
    })
    .expect("build board");
    doc
}

/// Every task title in a board document.
fn titles(doc: &Automerge) -> Vec<String> {
    let Ok(Some((_, tasks))) = doc.get(ROOT, "tasks") else {
        return Vec::new();
    };
    doc.keys(&tasks)
        .filter_map(|key| {
            let (_, task) = doc.get(&tasks, key.as_str()).ok()??;
            let (value, _) = doc.get(&task, "title").ok()??;
            value.into_string().ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samod_and_porchlight_sync_see_each_others_boards() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let relay_dir = tempfile::tempdir().expect("relay");
    let maria = tempfile::tempdir().expect("maria");
    let m = maria.path();
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    sign_in(m, "maria", &url, "maria@example.com", None).await;
    let team = json(&pl(m, "maria", &["--json", "team", "create", "Oak St"], "").await);
    let team_id = team["id"].as_i64().expect("team");
    // An integration's way in: a write key for the team.
    let token = pl(
        m,
        "maria",
        &[
            "apikey",
            "create",
            "--team",
            "Oak St",
            "--scope",
            "write",
            "--name",
            "interop peer",
        ],
        "",
    )
    .await
    .trim()
    .to_string();

    // samod → Porchlight: the samod repo creates the document offline, the
    // team registers its id, then samod connects and the relay acknowledges
    // every change.
    let repo = Repo::build_tokio().load().await;
    let handle = repo
        .create(board("", "Written with samod"))
        .await
        .expect("create");
    let doc_id = handle.document_id().to_string();
    // The board's own id field names its document.
    handle.with_document(|doc| {
        doc.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(ROOT, "id", doc_id.as_str()))
            .expect("set id");
    });
    let registered = reqwest::Client::new()
        .post(format!("{url}/api/teams/{team_id}/documents"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "document": doc_id }))
        .send()
        .await
        .expect("register");
    assert!(registered.status().is_success());
    let dialer = dial(&repo, addr, &token).await;
    let conn = dialer.connection_id().expect("connected");
    tokio::time::timeout(Duration::from_secs(20), handle.they_have_our_changes(conn))
        .await
        .expect("the relay acknowledges samod's changes");

    let out = pl(m, "maria", &["sync"], "").await;
    assert!(out.contains("1 new"), "{out}");
    let tasks = json(
        &pl(
            m,
            "maria",
            &["--json", "task", "list", "--board", "From samod"],
            "",
        )
        .await,
    );
    assert_eq!(tasks[0]["title"], "Written with samod");
    assert_eq!(tasks[0]["priority"], "urgent");
    assert_eq!(tasks[0]["labels"], serde_json::json!(["interop"]));
    let shown = json(
        &pl(
            m,
            "maria",
            &[
                "--json",
                "task",
                "show",
                tasks[0]["id"].as_str().expect("id"),
            ],
            "",
        )
        .await,
    );
    assert_eq!(shown["description"], "written by samod");
    repo.stop().await;

    // Porchlight → samod: a task the CLI adds reaches a fresh samod repo.
    pl(
        m,
        "maria",
        &[
            "task",
            "add",
            "Written with porchlight",
            "--board",
            "From samod",
        ],
        "",
    )
    .await;
    pl(m, "maria", &["sync"], "").await;
    let fresh = Repo::build_tokio().load().await;
    let _dialer = dial(&fresh, addr, &token).await;
    let id: DocumentId = doc_id.parse().expect("document id");
    let found = tokio::time::timeout(Duration::from_secs(20), fresh.find(id))
        .await
        .expect("find within 20 s")
        .expect("repo running")
        .expect("the relay serves the document");
    let seen = found.with_document(|doc| titles(doc));
    assert!(
        seen.contains(&"Written with porchlight".to_string()),
        "{seen:?}"
    );
    assert!(seen.contains(&"Written with samod".to_string()), "{seen:?}");
    fresh.stop().await;
    stop(running).await;
}
