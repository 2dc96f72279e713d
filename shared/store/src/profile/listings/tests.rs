//! The listing cache through the profile: import, re-import, reconcile,
//! team notes, search, reindex, sync between two profiles.

use super::*;
use crate::OpenOptions;
use crate::TaskQuery;

fn profile(user: &str) -> Profile {
    Profile::in_memory(OpenOptions {
        user: Some(user.into()),
        tz: Some("UTC".into()),
        now: None,
    })
    .expect("profile")
}

fn l(key: &str, city: &str, price: f64, beds: i64, status: &str, remarks: &str) -> Listing {
    Listing::from_fields([
        ("ListingKey", key),
        ("City", city),
        ("ListPrice", &price.to_string()),
        ("BedroomsTotal", &beds.to_string()),
        ("BathroomsTotalInteger", "2"),
        ("StandardStatus", status),
        ("PublicRemarks", remarks),
        ("ModificationTimestamp", "2026-11-20T10:00:00Z"),
    ])
    .expect("listing")
}

fn sample() -> Vec<Listing> {
    vec![
        l(
            "K1",
            "Denver",
            450_000.0,
            3,
            "Active",
            "Sunny bungalow with hardwood floors",
        ),
        l(
            "K2",
            "Denver",
            615_000.0,
            4,
            "Active Under Contract",
            "Modern farmhouse, big yard",
        ),
        l(
            "K3",
            "Aurora",
            399_000.0,
            2,
            "Closed",
            "Starter home near the park",
        ),
        l(
            "K4",
            "Denver",
            1_200_000.0,
            5,
            "Active",
            "Hardwood throughout, mountain views",
        ),
    ]
}

fn keys(found: &[CachedListing]) -> Vec<&str> {
    found.iter().map(|c| c.key.as_str()).collect()
}

#[test]
fn imports_count_what_changed_and_reconcile_drops_what_the_mls_dropped() {
    let mut p = profile("maria");
    let first = p
        .listings_mut()
        .import("csv", &sample(), false)
        .expect("import");
    assert_eq!(
        (first.added, first.updated, first.unchanged, first.removed),
        (4, 0, 0, 0)
    );
    let again = p
        .listings_mut()
        .import("csv", &sample(), false)
        .expect("again");
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 4));
    let mut cut = sample();
    cut[0].list_price = Some(440_000.0);
    cut.truncate(3);
    let third = p
        .listings_mut()
        .import("csv", &cut, true)
        .expect("reconcile");
    assert_eq!(
        (third.added, third.updated, third.unchanged, third.removed),
        (0, 1, 2, 1)
    );
    assert!(matches!(
        p.listings().get("K4").map(|c| c.mls),
        Ok(None) | Err(_)
    ));
    assert_eq!(
        p.listings()
            .get("K1")
            .expect("K1")
            .mls
            .and_then(|m| m.list_price),
        Some(440_000.0)
    );
    assert!(matches!(
        p.listings().get("nope"),
        Err(CoreError::UnknownListing(_))
    ));
    assert!(matches!(
        p.listings_mut().import("  ", &cut, false),
        Err(CoreError::Model(crate::ModelError::EmptyName { .. }))
    ));
}

#[test]
fn search_filters_sorts_and_finds_words() {
    let mut p = profile("maria");
    p.listings_mut()
        .import("csv", &sample(), false)
        .expect("import");
    let q = |f: fn(&mut ListingQuery)| {
        let mut q = ListingQuery::default();
        f(&mut q);
        q
    };
    let found = p
        .listings()
        .search(&q(|q| q.text = Some("hardwood".into())))
        .expect("search");
    let mut k = keys(&found);
    k.sort();
    assert_eq!(k, ["K1", "K4"]);
    let found = p
        .listings()
        .search(&q(|q| {
            q.city = Some("denver".into());
            q.min_beds = Some(3);
            q.max_price = Some(700_000.0);
            q.text = Some("yard".into());
        }))
        .expect("search");
    assert_eq!(keys(&found), ["K2"]);
    let found = p
        .listings()
        .search(&q(|q| {
            q.status = Some(StandardStatus::Active);
            q.sort = ListingSort::PriceDesc;
        }))
        .expect("search");
    assert_eq!(keys(&found), ["K4", "K1"]);
    let found = p
        .listings()
        .search(&q(|q| {
            q.sort = ListingSort::PriceAsc;
            q.limit = Some(2);
        }))
        .expect("search");
    assert_eq!(keys(&found), ["K3", "K1"]);
    assert!(
        p.listings()
            .search(&q(|q| q.text = Some(" ;; ".into())))
            .expect("s")
            .is_empty()
    );
}

#[test]
fn team_notes_survive_reimports_and_reindex_rebuilds_everything() {
    let mut p = profile("maria");
    p.listings_mut()
        .import("csv", &sample(), false)
        .expect("import");
    let c = p
        .listings_mut()
        .add_note("K1", "Seller wants a quick close")
        .expect("note");
    assert_eq!(c.team.notes[0].author, "maria");
    p.listings_mut().tag("K1", "#Staging", true).expect("tag");
    // Only K1's rows were rewritten, and they are right: found by the note
    // and the tag, still found by its own words, the others untouched.
    let find = |p: &Profile, text: &str| -> Vec<String> {
        p.listings()
            .search(&ListingQuery {
                text: Some(text.into()),
                ..ListingQuery::default()
            })
            .expect("search")
            .into_iter()
            .map(|c| c.key)
            .collect()
    };
    assert_eq!(find(&p, "quick close"), ["K1"]);
    assert_eq!(find(&p, "staging"), ["K1"]);
    let mut hardwood = find(&p, "hardwood");
    hardwood.sort();
    assert_eq!(hardwood, ["K1", "K4"]);
    assert_eq!(
        p.listings()
            .search(&ListingQuery::default())
            .expect("all")
            .len(),
        4
    );
    assert!(matches!(
        p.listings_mut().add_note("K1", "  "),
        Err(CoreError::Model(crate::ModelError::EmptyName { .. }))
    ));
    assert!(matches!(
        p.listings_mut().add_note("K9", "x"),
        Err(CoreError::UnknownListing(_))
    ));
    let mut changed = sample();
    changed[0].list_price = Some(425_000.0);
    p.listings_mut()
        .import("csv", &changed, true)
        .expect("re-import");
    let k1 = p.listings().get("K1").expect("K1");
    assert_eq!(k1.team.notes.len(), 1);
    assert_eq!(k1.team.tags, ["staging"]);
    assert_eq!(k1.mls.and_then(|m| m.list_price), Some(425_000.0));
    // The team's words are searchable too.
    let found = p
        .listings()
        .search(&ListingQuery {
            text: Some("quick close".into()),
            ..ListingQuery::default()
        })
        .expect("search");
    assert_eq!(keys(&found), ["K1"]);
    let report = p.reindex().expect("reindex");
    assert_eq!(report.listings, 4);
    let all: Vec<String> = p
        .listings()
        .all()
        .expect("all")
        .into_iter()
        .map(|l| l.listing_key)
        .collect();
    assert_eq!(all, ["K1", "K2", "K3", "K4"]);
    assert_eq!(p.listings().get("K1").expect("K1").team.notes.len(), 1);
    assert!(
        p.tasks()
            .list(&TaskQuery::default())
            .expect("tasks")
            .is_empty()
    );
}

#[test]
fn a_teammate_without_mls_access_gets_the_cache_and_both_notes_stay() {
    let mut maria = profile("maria");
    maria
        .listings_mut()
        .import("mls", &sample(), false)
        .expect("import");
    let mut joe = profile("joe");
    // Sync: Joe receives every shard Maria has (as the relay would pass them).
    let shards = maria.listings_mut().share("mls", 7).expect("share");
    assert!(shards > 0);
    for (id, team) in maria.boards().shared().expect("shared") {
        assert_eq!(team, 7);
        let mut copy = maria.sync_copy(id).expect("copy").expect("has it");
        joe.absorb(id, &mut copy).expect("absorb");
    }
    let found = joe
        .listings()
        .search(&ListingQuery {
            text: Some("hardwood".into()),
            ..ListingQuery::default()
        })
        .expect("search offline");
    assert_eq!(found.len(), 2);
    // Both add a note to K1 at once; after syncing both ways, both are kept.
    maria
        .listings_mut()
        .add_note("K1", "From Maria")
        .expect("note");
    joe.listings_mut().add_note("K1", "From Joe").expect("note");
    // Joe's note went into the shard they share (his own workspace is
    // another), so one document holds both.
    let id = shard_id(maria.workspace_id(), "mls", shard_of("K1"));
    assert_ne!(maria.workspace_id(), joe.workspace_id());
    let mut from_joe = joe.sync_copy(id).expect("copy").expect("joe has it");
    maria.absorb(id, &mut from_joe).expect("absorb");
    let mut from_maria = maria.sync_copy(id).expect("copy").expect("maria has it");
    joe.absorb(id, &mut from_maria).expect("absorb");
    for p in [&maria, &joe] {
        let mut notes: Vec<String> = p
            .listings()
            .get("K1")
            .expect("K1")
            .team
            .notes
            .into_iter()
            .map(|n| n.text)
            .collect();
        notes.sort();
        assert_eq!(notes, ["From Joe", "From Maria"]);
    }
}

#[test]
fn comps_and_stats_come_from_the_cache() {
    let mut p = profile("maria");
    let until = p.now();
    let mut listings = crate::listings::synthetic::listings(600, 3, "S", until);
    let subject = listings
        .iter()
        .find(|l| {
            l.standard_status == Some(StandardStatus::Active) && l.city.as_deref() == Some("Denver")
        })
        .expect("an active Denver listing")
        .listing_key
        .clone();
    listings.push(l(
        "K9",
        "Denver",
        450_000.0,
        3,
        "Active",
        "no size, no coordinates",
    ));
    p.listings_mut()
        .import("mls", &listings, false)
        .expect("import");
    let (s, comps) = p.listings().comps(&subject, 6).expect("comps");
    assert_eq!(s.key, subject);
    assert_eq!(comps.comparables.len(), 6);
    assert!(
        comps
            .comparables
            .iter()
            .all(|c| c.listing.standard_status == Some(StandardStatus::Closed))
    );
    let v = comps.value.expect("a value");
    assert!(v.low <= v.estimate && v.estimate <= v.high, "{v:?}");
    // No living area: comparables, but no made-up value.
    let (_, none) = p.listings().comps("K9", 6).expect("comps");
    assert_eq!(none.value, None);
    assert!(matches!(
        p.listings().comps("nope", 6),
        Err(CoreError::UnknownListing(_))
    ));
    let stats = p.listings().stats(false, 12).expect("stats");
    assert!(
        stats
            .iter()
            .any(|s| s.group == "Denver" && s.sold > 0 && s.median_close_price.is_some())
    );
    let by_zip = p.listings().stats(true, 12).expect("stats");
    assert!(by_zip.len() > stats.len());
}

#[test]
fn favourite_and_showing_status_are_set_kept_through_reimports_and_checked() {
    let mut p = profile("maria");
    p.listings_mut()
        .import("csv", &sample(), false)
        .expect("import");
    let c = p.listings_mut().favourite("K2", true).expect("favourite");
    assert!(c.team.favourite);
    let c = p
        .listings_mut()
        .set_showing("K2", Some(" Scheduled "))
        .expect("showing");
    assert_eq!(c.team.showing.as_deref(), Some("scheduled"));
    let e = p
        .listings_mut()
        .set_showing("K2", Some("maybe"))
        .expect_err("bad status");
    assert!(e.to_string().contains("requested, scheduled"), "{e}");
    p.listings_mut()
        .import("csv", &sample(), true)
        .expect("re-import");
    let c = p.listings().get("K2").expect("K2");
    assert!(c.team.favourite);
    assert_eq!(c.team.showing.as_deref(), Some("scheduled"));
    let c = p.listings_mut().set_showing("K2", None).expect("clear");
    assert_eq!(c.team.showing, None);
    assert!(
        !p.listings_mut()
            .favourite("K2", false)
            .expect("unfavourite")
            .team
            .favourite
    );
    assert!(matches!(
        p.listings_mut().favourite("K9", true),
        Err(CoreError::UnknownListing(_))
    ));
}

#[test]
fn imports_in_pages_materialize_only_what_changed_and_match_a_reindex() {
    let mut p = profile("maria");
    let at = chrono::Utc::now();
    let all = crate::listings::synthetic::listings(900, 11, "P", at);
    // Pages, as a pull imports them; then a page of changes to listings
    // already in, with a note in between.
    for page in all.chunks(300) {
        p.listings_mut().import("mls", page, false).expect("page");
    }
    p.listings_mut().add_note("P5", "Seen it").expect("note");
    let mut changed: Vec<_> = all.iter().step_by(40).cloned().collect();
    for l in &mut changed {
        l.list_price = Some(123_456.0);
        l.public_remarks = Some("Freshly painted".into());
    }
    let report = p
        .listings_mut()
        .import("mls", &changed, false)
        .expect("changes");
    assert_eq!(report.updated, changed.len());
    let everything = |p: &Profile| {
        p.listings()
            .search(&ListingQuery {
                limit: Some(10_000),
                ..ListingQuery::default()
            })
            .expect("search")
    };
    let words = |p: &Profile, text: &str| {
        p.listings()
            .search(&ListingQuery {
                text: Some(text.into()),
                limit: Some(10_000),
                ..ListingQuery::default()
            })
            .expect("search")
            .len()
    };
    let before = everything(&p);
    assert_eq!(before.len(), 900);
    assert_eq!(words(&p, "freshly painted"), changed.len());
    assert_eq!(p.listings().get("P5").expect("P5").team.notes.len(), 1);
    p.reindex().expect("reindex");
    assert_eq!(
        everything(&p),
        before,
        "the rows equal a rebuild from the documents"
    );
    assert_eq!(words(&p, "freshly painted"), changed.len());
}

#[test]
fn shards_kept_loaded_between_imports_still_see_another_process_writes() {
    let dir = tempfile::tempdir().expect("dir");
    let open = || Profile::open(dir.path(), OpenOptions::default()).expect("profile");
    let mut a = open();
    let all = crate::listings::synthetic::listings(600, 5, "Q", chrono::Utc::now());
    a.listings_mut()
        .import("mls", &all[..300], false)
        .expect("page 1");
    // Another process (the CLI, the app's sync) writes into those shards.
    let mut b = open();
    b.listings_mut()
        .add_note("Q7", "From the other process")
        .expect("note");
    // A's next pages go into shards it holds loaded: B's note survives and
    // shows, and a reindex from the stored documents agrees.
    a.listings_mut()
        .import("mls", &all[300..], false)
        .expect("page 2");
    let mut changed = all[7].clone();
    changed.list_price = Some(1.0);
    a.listings_mut()
        .import("mls", &[changed, all[8].clone()], false)
        .expect("page 3");
    let q7 = a.listings().get("Q7").expect("Q7");
    assert_eq!(q7.team.notes.len(), 1);
    assert_eq!(q7.mls.and_then(|m| m.list_price), Some(1.0));
    drop(a);
    let mut c = open();
    c.reindex().expect("reindex");
    let q7 = c.listings().get("Q7").expect("Q7");
    assert_eq!(q7.team.notes[0].text, "From the other process");
    assert_eq!(q7.mls.and_then(|m| m.list_price), Some(1.0));
    assert_eq!(c.listings().all().expect("all").len(), 600);
}
