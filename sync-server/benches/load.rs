//! How long a long-lived document takes to load from the relay's storage,
//! before and after compaction: 100,000 small changes, each stored as its
//! own chunk (as the hub writes them), then folded into one snapshot.
//!
//!     cargo bench -p porchlight-relay --bench load

use std::sync::OnceLock;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use porchlight_relay::store::{SqliteStore, Storage, Store};

const CHANGES: usize = 100_000;
const DOC: &str = "2Zr8yZxjQrJNCQ8Z5n4xW6hTJv1Q";

fn main() {
    divan::main();
}

struct Fixture {
    rt: tokio::runtime::Runtime,
    raw: Store,
    compacted: Store,
    _dir: tempfile::TempDir,
}

/// Two stores of the same document: one chunk per change, and compacted.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let dir = tempfile::tempdir().expect("dir");
        let open = |name: &str| -> Store {
            std::sync::Arc::new(SqliteStore::open(&dir.path().join(name)).expect("store"))
        };
        let (raw, compacted) = (open("raw.db"), open("compacted.db"));
        let mut doc = AutoCommit::new();
        let mut chunks = Vec::with_capacity(CHANGES);
        let mut heads = doc.get_heads();
        for i in 0..CHANGES {
            doc.put(ROOT, format!("k{}", i % 500), i as i64).expect("put");
            doc.commit();
            chunks.push((DOC.to_string(), doc.save_after(&heads)));
            heads = doc.get_heads();
        }
        rt.block_on(async {
            for store in [&raw, &compacted] {
                for batch in chunks.chunks(5_000) {
                    store.append_chunks(batch).await.expect("append");
                }
            }
            porchlight_relay::compact::fold(&compacted, DOC)
                .await
                .expect("fold");
        });
        Fixture {
            rt,
            raw,
            compacted,
            _dir: dir,
        }
    })
}

fn load(store: &Store, rt: &tokio::runtime::Runtime) -> AutoCommit {
    let chunks = rt.block_on(store.load_chunks(DOC)).expect("chunks");
    let mut doc = AutoCommit::new();
    for c in chunks {
        doc.load_incremental(&c.data).expect("load");
    }
    doc
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn load_100k_changes_as_stored(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| load(&f.raw, &f.rt));
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn load_100k_changes_after_compaction(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| load(&f.compacted, &f.rt));
}
