//! How long a long-lived document takes to load from the relay's storage,
//! before and after compaction: 100,000 small changes, each stored as its
//! own chunk (as the hub writes them), then folded into one snapshot.
//!
//!     cargo bench -p porchlight-relay --bench load
//!
//! With `PORCHLIGHT_BENCH_UNCOMPACTED=1` it also loads the 100,000 chunks
//! as stored, once (minutes).

use std::sync::OnceLock;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use porchlight_relay::store::{SqliteStore, Store};

const CHANGES: usize = 100_000;
const DOC: &str = "2Zr8yZxjQrJNCQ8Z5n4xW6hTJv1Q";

/// The relay's own allocator (`src/main.rs`), so the figures are the ones
/// the hub sees: a load makes a small allocation per change.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

struct Fixture {
    rt: tokio::runtime::Runtime,
    compacted: Store,
    snapshot: Vec<u8>,
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
            doc.put(ROOT, format!("k{}", i % 500), i as i64)
                .expect("put");
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
        // Once, not sampled, and only when asked (it takes minutes):
        // loading the 100,000 chunks as the hub wrote them, before any
        // compaction.
        if std::env::var_os("PORCHLIGHT_BENCH_UNCOMPACTED").is_some() {
            let started = std::time::Instant::now();
            let before = load(&raw, &rt);
            eprintln!(
                "load_100k_changes_as_stored (once): {:.1} s",
                started.elapsed().as_secs_f64()
            );
            drop(before);
        }
        let snapshot = rt
            .block_on(compacted.load_chunks(DOC))
            .expect("chunks")
            .remove(0)
            .data;
        Fixture {
            rt,
            compacted,
            snapshot,
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

#[divan::bench(sample_count = 20, sample_size = 1)]
fn load_100k_changes_after_compaction(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| {
        porchlight_relay::compact::load_document(
            &f.rt.block_on(f.compacted.load_chunks(DOC)).expect("chunks"),
        )
    });
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn snapshot_load_incremental(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| {
        let mut d = AutoCommit::new();
        d.load_incremental(&f.snapshot).expect("load");
        d
    });
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn snapshot_load_verified(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| AutoCommit::load(&f.snapshot).expect("load"));
}

/// Without recomputing every change's hash to check the heads (the
/// relay's own snapshots).
#[divan::bench(sample_count = 20, sample_size = 1)]
fn snapshot_load_unverified_heads(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| AutoCommit::load_unverified_heads(&f.snapshot).expect("load"));
}
