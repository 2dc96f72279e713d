//! Listing-cache benchmarks: `make bench-listings` (or `cargo bench -p
//! porchlight-store --bench listings`). Prints the figures BENCHMARKS.md
//! records: one import of 50,000 synthetic listings into a fresh on-disk
//! profile, the same again to reach 100,000, then searches with three
//! filters plus text (p50/p95 over varied queries), a single note, and the
//! profile's size on disk. `PORCHLIGHT_BENCH_LISTINGS=N` changes the 50,000.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use porchlight_store::listings::synthetic;
use porchlight_store::profile::{ListingQuery, ListingSort};
use porchlight_store::{OpenOptions, Profile};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::var("PORCHLIGHT_BENCH_LISTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let until = Utc
        .with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let dir =
        std::env::temp_dir().join(format!("porchlight-listings-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = OpenOptions {
        user: Some("bench".into()),
        tz: Some("UTC".into()),
        now: None,
    };
    let mut p = Profile::open(&dir, options).expect("profile");

    let first = synthetic::listings(n, 1, "A", until);
    let t = Instant::now();
    let report = p
        .listings_mut()
        .import("mls", &first, false)
        .expect("import");
    let import = t.elapsed();
    println!(
        "listings-bench: import {n} listings into a fresh profile: {:.2} s ({} added, {} shards)",
        import.as_secs_f64(),
        report.added,
        report.shards
    );
    let t = Instant::now();
    let again = p
        .listings_mut()
        .import("mls", &first, false)
        .expect("re-import");
    println!(
        "listings-bench: re-import of the same {n} (nothing changed): {:.2} s ({} unchanged)",
        t.elapsed().as_secs_f64(),
        again.unchanged
    );
    let second = synthetic::listings(n, 2, "B", until);
    let t = Instant::now();
    p.listings_mut()
        .import("mls", &second, false)
        .expect("import");
    println!(
        "listings-bench: import {n} more (cache now {}): {:.2} s",
        2 * n,
        t.elapsed().as_secs_f64()
    );

    // Three filters plus text, varied so no answer is cached.
    let cities = [
        "Denver", "Aurora", "Boulder", "Golden", "Lakewood", "Parker",
    ];
    let words = [
        "hardwood", "kitchen", "views", "basement", "garage", "deck", "pantry", "yard",
    ];
    let mut times = Vec::new();
    let mut hits = 0;
    for i in 0..400 {
        let q = ListingQuery {
            text: Some(words[i % words.len()].into()),
            city: Some(cities[i % cities.len()].into()),
            min_beds: Some(2 + (i % 3) as i64),
            max_price: Some(400_000.0 + (i % 7) as f64 * 150_000.0),
            sort: if i % 2 == 0 {
                ListingSort::Relevance
            } else {
                ListingSort::PriceAsc
            },
            limit: Some(50),
            ..ListingQuery::default()
        };
        let t = Instant::now();
        hits += p.listings().search(&q).expect("search").len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "listings-bench: search, 3 filters + text over {} listings: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms ({} queries, {:.0} results each on average)",
        2 * n,
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().copied().unwrap_or_default(),
        times.len(),
        hits as f64 / times.len() as f64
    );
    let t = Instant::now();
    p.listings_mut()
        .add_note("A17", "Bench note")
        .expect("note");
    println!(
        "listings-bench: one team note (loads its shard, rewrites the one listing's rows): {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    drop(p);
    println!(
        "listings-bench: on disk with {} listings: {:.1} MB",
        2 * n,
        dir_size(&dir) as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(&dir);
}
