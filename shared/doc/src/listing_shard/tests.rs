//! Listing shards merge: independent imports, concurrent notes, re-imports.

use chrono::TimeZone;

use super::*;

fn listing(key: &str, price: f64) -> Listing {
    Listing {
        listing_key: key.into(),
        list_price: Some(price),
        city: Some("Denver".into()),
        ..Listing::default()
    }
}

fn shard(actor: u8) -> ListingShardDoc {
    let scope = DocumentId::from_bytes([7; 16]);
    let id = shard_id(scope, "csv", 3);
    let doc = AutoCommit::new().with_actor(automerge::ActorId::from(vec![actor]));
    let s = ListingShardDoc::create(doc, id, scope, "csv", 3).expect("shard");
    assert_eq!(s.scope(), Some(scope));
    s
}

fn note(id: &str, by: &str, text: &str) -> ListingNote {
    ListingNote {
        id: id.into(),
        author: by.into(),
        at: Utc
            .with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
            .single()
            .unwrap_or_default(),
        text: text.into(),
    }
}

#[test]
fn shard_ids_and_numbers_are_the_same_on_every_device() {
    let ws = DocumentId::from_bytes([1; 16]);
    assert_eq!(shard_id(ws, "mls-a", 5), shard_id(ws, "mls-a", 5));
    assert_ne!(shard_id(ws, "mls-a", 5), shard_id(ws, "mls-b", 5));
    assert_ne!(shard_id(ws, "mls-a", 5), shard_id(ws, "mls-a", 6));
    assert_ne!(
        shard_id(ws, "mls-a", 5),
        shard_id(DocumentId::from_bytes([2; 16]), "mls-a", 5)
    );
    assert_eq!(shard_of("A12345"), shard_of("A12345"));
    let used: std::collections::BTreeSet<u32> =
        (0..2000).map(|i| shard_of(&format!("K{i}"))).collect();
    assert_eq!(used.len() as u32, SHARDS, "keys spread over every shard");
}

#[test]
fn two_devices_importing_before_they_sync_merge_and_keep_both_notes() {
    let mut a = shard(1);
    let mut b = shard(2);
    assert!(a.put_listing(&listing("K1", 450_000.0)).expect("put"));
    assert!(
        !a.put_listing(&listing("K1", 450_000.0))
            .expect("same again")
    );
    a.commit(&ChangeNote::new("listings.import", "maria"), Utc::now());
    b.put_listing(&listing("K1", 450_000.0)).expect("put");
    b.put_listing(&listing("K2", 300_000.0)).expect("put");
    b.commit(&ChangeNote::new("listings.import", "joe"), Utc::now());
    a.add_note("K1", &note("n1", "maria", "Roof is new"))
        .expect("note");
    a.set_tag("K1", "staging", true).expect("tag");
    a.commit(&ChangeNote::new("listing.note", "maria"), Utc::now());
    b.add_note("K1", &note("n2", "joe", "Seller flexible"))
        .expect("note");
    b.set_favourite("K1", true).expect("fav");
    b.commit(&ChangeNote::new("listing.note", "joe"), Utc::now());

    let mut am = a.into_doc();
    let mut bm = b.into_doc();
    am.merge(&mut bm).expect("merge");
    let merged = ListingShardDoc::from_doc(am).expect("shard");
    let all = merged.listings();
    assert_eq!(all.keys().cloned().collect::<Vec<_>>(), ["K1", "K2"]);
    let k1 = &all["K1"];
    let texts: Vec<&str> = k1.team.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, ["Roof is new", "Seller flexible"]);
    assert_eq!(k1.team.tags, ["staging"]);
    assert!(k1.team.favourite);
    assert_eq!(k1.mls.as_ref().and_then(|l| l.list_price), Some(450_000.0));
}

#[test]
fn a_reimport_or_a_removal_never_erases_the_teams_layer() {
    let mut s = shard(1);
    s.put_listing(&listing("K1", 450_000.0)).expect("put");
    s.add_note("K1", &note("n1", "maria", "Keep me"))
        .expect("note");
    s.set_showing("K1", Some("requested")).expect("showing");
    assert!(s.put_listing(&listing("K1", 440_000.0)).expect("price cut"));
    let k1 = &s.listings()["K1"];
    assert_eq!(k1.mls.as_ref().and_then(|l| l.list_price), Some(440_000.0));
    assert_eq!(k1.team.notes.len(), 1);
    assert!(s.remove_listing("K1").expect("remove"));
    assert!(!s.remove_listing("K1").expect("already gone"));
    let k1 = &s.listings()["K1"];
    assert!(k1.mls.is_none());
    assert_eq!(k1.team.notes[0].text, "Keep me");
    assert_eq!(k1.team.showing.as_deref(), Some("requested"));
    assert_eq!(s.mls_keys(), Vec::<String>::new());
    s.set_showing("K1", None).expect("clear");
    assert_eq!(s.listings()["K1"].team.showing, None);
    assert!(ListingShardDoc::from_doc(AutoCommit::new()).is_err());
}

#[test]
fn the_root_keys_of_mls_records_name_their_listing_and_no_other_key_does() {
    let mut s = shard(1);
    s.put_listing(&listing("A1", 500_000.0)).expect("put");
    s.add_note("A1", &note("n1", "maria", "Nice"))
        .expect("note");
    s.set_favourite("A1", true).expect("fav");
    let keys: Vec<String> = s.doc().keys(ROOT).collect();
    let records: Vec<&str> = keys.iter().filter_map(|k| mls_record_key(k)).collect();
    assert_eq!(records, ["A1"]);
    assert_eq!(mls_record_key("mls\u{1f}B 2"), Some("B 2"));
    for other in ["note\u{1f}A1\u{1f}n1", "fav\u{1f}A1", "mlsx", "type", "mls"] {
        assert_eq!(mls_record_key(other), None, "{other}");
    }
}
