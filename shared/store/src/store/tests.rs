use super::*;
use crate::ids::DocumentId;

#[test]
fn a_file_that_is_not_a_database_gives_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("profile.db");
    std::fs::write(
        &path,
        b"this is not sqlite, it is a shopping list ".repeat(200),
    )
    .expect("write");
    let err = Store::open(&path).expect_err("must refuse");
    let text = err.to_string();
    assert!(matches!(err, CoreError::CorruptDatabase { .. }), "{text}");
    assert!(
        text.contains("profile.db") && text.contains("not a SQLite database"),
        "{text}"
    );
    assert!(text.contains("move it aside"), "{text}");
}

#[test]
fn a_truncated_database_gives_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("profile.db");
    {
        let mut store = Store::open(&path).expect("open");
        store
            .write(|tx| {
                chunks::register(tx, DocumentId::random(), "board")?;
                Ok(())
            })
            .expect("write");
    }
    let bytes = std::fs::read(&path).expect("read");
    // Keep the header, smash the pages after it.
    let mut damaged = bytes[..100.min(bytes.len())].to_vec();
    damaged.extend(std::iter::repeat_n(0xA5u8, 8192));
    std::fs::write(&path, damaged).expect("write");
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    match Store::open(&path) {
        Err(e) => assert!(e.to_string().contains("profile.db"), "{e}"),
        Ok(store) => {
            // SQLite may accept the header; then the first real read must fail cleanly.
            let r = chunks::documents(store.conn(), "board");
            assert!(r.is_err());
        }
    }
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let mut store = Store::open_in_memory().expect("open");
    let doc = DocumentId::random();
    let result: Result<()> = store.write(|tx| {
        chunks::register(tx, doc, "board")?;
        chunks::append(tx, doc, b"change")?;
        Err(CoreError::Model(crate::ModelError::EmptyTitle))
    });
    assert!(result.is_err());
    assert!(chunks::load(store.conn(), doc).expect("load").is_empty());
    assert_eq!(chunks::version(store.conn(), doc).expect("v"), 0);
}

#[test]
fn compaction_replaces_chunks_with_one_snapshot() {
    let mut store = Store::open_in_memory().expect("open");
    let doc = DocumentId::random();
    store
        .write(|tx| {
            chunks::register(tx, doc, "board")?;
            for i in 0..5u8 {
                chunks::append(tx, doc, &[i])?;
            }
            assert_eq!(chunks::incremental_count(tx, doc)?, 5);
            chunks::compact(tx, doc, "heads", b"snapshot")?;
            Ok(())
        })
        .expect("write");
    let all = chunks::load(store.conn(), doc).expect("load");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].kind, ChunkKind::Snapshot);
    assert_eq!(chunks::version(store.conn(), doc).expect("v"), 6);
}

#[test]
fn an_append_uses_what_the_writer_knew_only_while_no_one_else_wrote() {
    let mut store = Store::open_in_memory().expect("open");
    let doc = DocumentId::random();
    store
        .write(|tx| {
            chunks::register(tx, doc, "board")?;
            let (_, mine) = chunks::append_after(tx, doc, b"a", None)?;
            let (_, mine) = chunks::append_after(tx, doc, b"b", Some(mine))?;
            assert_eq!(
                (mine.next_seq, mine.incremental),
                (3, 2),
                "two chunks, seq 1 and 2"
            );
            // The same bytes again are not stored again, and count once.
            let (_, same) = chunks::append_after(tx, doc, b"b", Some(mine))?;
            assert_eq!((same.next_seq, same.incremental), (3, 2));
            // Another writer appends: what this one knew is out of date and
            // must not be used (its seq would be taken twice).
            chunks::append(tx, doc, b"theirs")?;
            let (_, after) = chunks::append_after(tx, doc, b"c", Some(same))?;
            assert_eq!((after.next_seq, after.incremental), (5, 4));
            assert_eq!(after.version, chunks::version(tx, doc)?);
            assert_eq!(chunks::incremental_count(tx, doc)?, 4);
            let seqs: Vec<i64> = tx
                .prepare("SELECT seq FROM chunks WHERE doc_id = ?1 ORDER BY seq")?
                .query_map([doc.to_string()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            assert_eq!(seqs, [1, 2, 3, 4]);
            Ok(())
        })
        .expect("write");
}
