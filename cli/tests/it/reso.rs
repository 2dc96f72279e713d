//! Replication from a RESO Web API server (the fake in porchlight-testkit):
//! paging, 429, token refresh, timestamp collisions, an interrupted pull
//! that resumes with no gap and no duplicate, reconcile on a full pull.

use crate::common;
use porchlight_testkit::reso as fake_reso;

use std::time::Duration;

use porchlight_store::listings::pull::PullError;
use porchlight_store::listings::pull::{Progress, PullOptions, pull};
use porchlight_store::listings::reso::{ResoAuth, ResoClient, ResoConfig, ResoError};
use porchlight_store::net::RetryPolicy;
use porchlight_store::{OpenOptions, Profile};
use serde_json::{Value, json};

/// 25 listings one minute apart, except 9, 10 and 11, which share a
/// timestamp across the first page boundary (pages of 10).
fn records() -> Vec<Value> {
    (0..25)
        .map(|i| {
            let minute = if (9..=11).contains(&i) { 9 } else { i };
            json!({
                "ListingKey": format!("R{i:02}"),
                "StandardStatus": if i % 2 == 0 { "Active" } else { "Active Under Contract" },
                "ListPrice": 400_000 + i * 1000,
                "City": "Denver",
                "ModificationTimestamp": format!("2026-11-20T10:{minute:02}:00Z"),
                "PublicRemarks": null,
            })
        })
        .collect()
}

/// The CLI on `dir`, off the runtime's threads (the fake server runs on them).
async fn cli(
    dir: &std::path::Path,
    args: Vec<String>,
    stdin: String,
) -> Result<(i32, String, String), tokio::task::JoinError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::run_cli(&dir, &args, &stdin)
    })
    .await
}

/// `mls add-reso NAME` for the fake at `base` (OAuth2, pages of 10), then `extra`.
fn add_reso(name: &str, base: &str, extra: &[&str]) -> Vec<String> {
    let (url, token_url) = (format!("{base}/odata"), format!("{base}/token"));
    let args = [
        "mls",
        "add-reso",
        name,
        "--url",
        &url,
        "--token-url",
        &token_url,
        "--client-id",
        fake_reso::CLIENT_ID,
        "--page-size",
        "10",
    ];
    args.iter().chain(extra).map(|a| a.to_string()).collect()
}

fn client(base: &str, secret: &str) -> ResoClient {
    let mut c = ResoClient::new(ResoConfig {
        base_url: format!("{base}/odata"),
        resource: "Property".into(),
        auth: ResoAuth::ClientCredentials {
            token_url: format!("{base}/token"),
            client_id: fake_reso::CLIENT_ID.into(),
            client_secret: secret.into(),
            scope: None,
        },
        page_size: 10,
        expand_media: false,
        select: Vec::new(),
        net: Default::default(),
    })
    .expect("client");
    c.retry = RetryPolicy {
        retries: Some(2),
        longest: Duration::from_secs(2),
        ..RetryPolicy::VENDOR
    };
    c
}

/// A pull that reports no progress.
async fn quietly(
    p: &mut Profile,
    source: &str,
    client: &mut ResoClient,
    options: &PullOptions,
) -> Result<porchlight_store::listings::pull::PullReport, PullError> {
    pull(p, source, client, options, &mut |_| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reso_pull_pages_retries_resumes_and_reconciles() {
    let (base, fake) = fake_reso::start(records()).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut p = Profile::open(dir.path(), OpenOptions::default()).expect("profile");
    let mut reso = client(&base, fake_reso::CLIENT_SECRET);
    let mut seen: Vec<Progress> = Vec::new();

    // The second page fails for good: the first page is in, the mark is
    // the newest timestamp of that page, and the error says what happened.
    fake.lock().expect("fake").fail_at_skip = Some(10);
    let mut on = |pr: Progress| seen.push(pr);
    let e = pull(&mut p, "reso", &mut reso, &PullOptions::default(), &mut on)
        .await
        .expect_err("interrupted");
    assert!(
        matches!(e, PullError::Reso(ResoError::Http { status: 500, .. })),
        "{e}"
    );
    assert_eq!(common::cached(&p).len(), 10);
    let mark = p.listings().mark("reso").expect("mark").expect("set");
    assert_eq!(mark.to_rfc3339(), "2026-11-20T10:09:00+00:00");
    assert_eq!(seen.last().map(|s| (s.done, s.total)), Some((10, Some(25))));

    // The network is back; the server also throttles once and the token
    // expires mid-way. Resuming from the mark fills the gap (R10, R11 share
    // R09's timestamp) and duplicates nothing.
    {
        let mut f = fake.lock().expect("fake");
        f.fail_at_skip = None;
        f.throttle_next = true;
        f.token_uses_left = Some(1);
    }
    let report = quietly(&mut p, "reso", &mut reso, &PullOptions::default())
        .await
        .expect("resume");
    let keys = common::cached(&p);
    assert_eq!(keys.len(), 25, "{keys:?}");
    assert_eq!(keys.first().map(String::as_str), Some("R00"));
    assert_eq!(keys.last().map(String::as_str), Some("R24"));
    assert_eq!(report.import.added, 15);
    assert_eq!(
        report.import.unchanged, 1,
        "R09, at the mark, comes again and changes nothing"
    );
    {
        let f = fake.lock().expect("fake");
        assert_eq!(f.throttled, 1);
        assert!(f.tokens_issued >= 2, "signed in again after the 401");
    }
    let status = p
        .listings()
        .get("R01")
        .expect("R01")
        .mls
        .and_then(|l| l.standard_status);
    assert_eq!(status.map(|s| s.as_str()), Some("ActiveUnderContract"));

    // A price change and a new listing: an incremental pull brings just those.
    {
        let mut f = fake.lock().expect("fake");
        f.records[3]["ListPrice"] = json!(399_000);
        f.records[3]["ModificationTimestamp"] = json!("2026-11-21T09:00:00Z");
        let moved = f.records.remove(3);
        f.records.push(moved);
        f.records
            .push(json!({ "ListingKey": "R99", "ModificationTimestamp": "2026-11-21T09:30:00Z" }));
    }
    let report = quietly(&mut p, "reso", &mut reso, &PullOptions::default())
        .await
        .expect("incremental");
    assert_eq!((report.import.added, report.import.updated), (1, 1));
    assert_eq!(
        p.listings()
            .get("R03")
            .expect("R03")
            .mls
            .and_then(|l| l.list_price),
        Some(399_000.0)
    );

    // The MLS drops R05; a full pull removes it from the cache.
    fake.lock()
        .expect("fake")
        .records
        .retain(|r| r["ListingKey"] != "R05");
    let report = quietly(&mut p, "reso", &mut reso, &PullOptions::full())
        .await
        .expect("full");
    assert_eq!(report.import.removed, 1);
    assert!(!common::cached(&p).contains(&"R05".to_string()));
    assert_eq!(common::cached(&p).len(), 25);

    // A wrong secret is a sign-in error in words, not a crash.
    let mut wrong = client(&base, "not the secret");
    let e = quietly(&mut p, "reso", &mut wrong, &PullOptions::default())
        .await
        .expect_err("refused");
    assert!(e.to_string().contains("refused the sign-in"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_adds_a_reso_connection_and_pulls_with_progress() {
    let (base, _fake) = fake_reso::start(records()).await;
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_path_buf();
    let url = format!("{base}/odata");
    let secret = format!("{}\n", fake_reso::CLIENT_SECRET);
    let run = |args: Vec<String>, stdin: String| cli(&d, args, stdin);
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (code, out, err) = run(add_reso("fake", &base, &[]), secret)
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Added RESO 'fake'"), "{out}");
    let (code, out, err) = run(s(&["mls", "test", "fake"]), String::new())
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("fake: Signed in; the server has 25 listings."),
        "{out}"
    );
    let (code, out, err) = run(s(&["mls", "pull"]), String::new()).await.expect("join");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("fake: 3 pages, 25 new"), "{out}");
    assert!(err.contains("25/25 listings"), "progress: {err}");
    let (code, out, _) = run(s(&["mls", "list"]), String::new()).await.expect("join");
    assert_eq!(code, 0);
    assert!(
        out.contains("last change seen: 2026-11-20T10:24:00"),
        "{out}"
    );
    // The secret is in the secret store, not in the database.
    let db = std::fs::read(dir.path().join("porchlight.db")).expect("db");
    let needle = fake_reso::CLIENT_SECRET.as_bytes();
    assert!(
        !db.windows(needle.len()).any(|w| w == needle),
        "the secret is in SQLite"
    );
    // No secret on stdin, an unknown connection, a bad URL: exit 2, one reason.
    let (code, _, err) = run(s(&["mls", "add-reso", "x", "--url", &url]), String::new())
        .await
        .expect("join");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no secret given"), "{err}");
    let (code, _, err) = run(s(&["mls", "pull", "nope"]), String::new())
        .await
        .expect("join");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(
        s(&["mls", "add-reso", "y", "--url", "ftp://x"]),
        "t\n".into(),
    )
    .await
    .expect("join");
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = run(s(&["mls", "remove", "fake"]), String::new())
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("listings stay"), "{out}");
    let (code, _, _) = run(s(&["mls", "pull"]), String::new()).await.expect("join");
    assert_eq!(code, 2, "nothing to pull from");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_next_links_pages_are_timestamp_windows_that_neither_repeat_nor_skip() {
    // Twelve listings share one instant: more than a page of 10.
    let records: Vec<Value> = (0..25)
        .map(|i| {
            let minute = if (5..=16).contains(&i) { 5 } else { i };
            json!({
                "ListingKey": format!("W{i:02}"),
                "ListPrice": 500_000 + i,
                "ModificationTimestamp": format!("2026-11-20T11:{minute:02}:00Z"),
            })
        })
        .collect();
    let (base, fake) = fake_reso::start(records).await;
    fake.lock().expect("fake").no_next_link = true;
    let dir = tempfile::tempdir().expect("dir");
    let mut p = Profile::open(dir.path(), OpenOptions::default()).expect("profile");
    let mut reso = client(&base, fake_reso::CLIENT_SECRET);
    let report = quietly(&mut p, "reso", &mut reso, &PullOptions::default())
        .await
        .expect("pull");
    assert_eq!(report.import.added, 25);
    assert_eq!(report.import.unchanged, 0, "no record fetched twice");
    assert_eq!(report.pages, 3);
    assert_eq!(common::cached(&p).len(), 25);
    assert_eq!(
        p.listings()
            .mark("reso")
            .expect("mark")
            .map(|m| m.to_rfc3339()),
        Some("2026-11-20T11:24:00+00:00".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reso_media_photos_are_fetched_by_url_and_cached_with_thumbnails() {
    use porchlight_store::listings::photos::PhotoCache;
    use porchlight_store::listings::sources::MlsSource;
    use porchlight_store::secrets::{Mode, Secrets};

    let (base, fake) = fake_reso::start(records()).await;
    {
        let mut f = fake.lock().expect("fake");
        f.records[1]["Media"] = json!([
            { "MediaURL": format!("{base}/media/R01-2.jpg"), "Order": 2, "MediaCategory": "Photo" },
            { "MediaURL": format!("{base}/media/R01-1.jpg"), "Order": 1, "MediaCategory": "Photo" },
            { "MediaURL": format!("{base}/media/plan.pdf"), "Order": 3, "MediaCategory": "FloorPlan" },
        ]);
        f.media
            .insert("R01-1.jpg".into(), common::jpeg_image(900, 600));
        f.media
            .insert("R01-2.jpg".into(), common::jpeg_image(300, 200));
    }
    let dir = tempfile::tempdir().expect("dir");
    let mut p = Profile::open(dir.path(), OpenOptions::default()).expect("profile");
    p.save_mls_source(&MlsSource {
        name: "reso".into(),
        url: format!("{base}/odata"),
        resource: "Property".into(),
        token_url: Some(format!("{base}/token")),
        client_id: Some(fake_reso::CLIENT_ID.into()),
        page_size: 10,
        expand_media: true,
        rets: None,
        select: Vec::new(),
        net: Default::default(),
    })
    .expect("source");
    let mut reso = client(&base, fake_reso::CLIENT_SECRET);
    quietly(&mut p, "reso", &mut reso, &PullOptions::default())
        .await
        .expect("pull");
    let secrets = Secrets::with_mode(dir.path(), Mode::File);
    let cache = PhotoCache::new(dir.path());
    let photos = p
        .photo_job(&secrets, "R01")
        .expect("job")
        .run(&cache)
        .await
        .expect("photos")
        .keep(&mut p)
        .expect("keep");
    assert_eq!(photos.len(), 2);
    assert_eq!(
        std::fs::read(&photos[0].path).expect("photo"),
        common::jpeg_image(900, 600)
    );
    assert_eq!(cache.photos("reso", "R01").expect("cached"), Some(photos));
    // Without the connection (a teammate's device), the URLs in the
    // listing still fetch; a listing without Media says why there is none.
    p.remove_mls_source("reso").expect("remove");
    let again = p.photo_job(&secrets, "R01").expect("job").run(&cache).await;
    assert_eq!(again.expect("by URL").photos.len(), 2);
    let e = p
        .photo_job(&secrets, "R02")
        .expect("job")
        .run(&cache)
        .await
        .expect_err("no way");
    assert!(
        e.to_string().contains("no connection to the MLS 'reso'"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_pulls_and_a_wrong_one_is_refused_without_retrying() {
    let (base, fake) = fake_reso::start(records()).await;
    fake.lock().expect("fake").token = Some("static-token".into());
    let dir = tempfile::tempdir().expect("dir");
    let mut p = Profile::open(dir.path(), OpenOptions::default()).expect("profile");
    let config = |token: &str| ResoConfig {
        base_url: format!("{base}/odata"),
        resource: "Property".into(),
        auth: ResoAuth::Bearer(token.into()),
        page_size: 10,
        expand_media: true,
        select: Vec::new(),
        net: Default::default(),
    };
    let mut c = ResoClient::new(config("static-token")).expect("client");
    let report = quietly(&mut p, "reso", &mut c, &PullOptions::default())
        .await
        .expect("pull");
    assert_eq!(report.import.added, 25);
    let requests = fake.lock().expect("fake").requests;
    let mut wrong = ResoClient::new(config("stale")).expect("client");
    let e = quietly(&mut p, "reso", &mut wrong, &PullOptions::default())
        .await
        .expect_err("refused");
    assert!(
        matches!(e, PullError::Reso(ResoError::Auth { status: 401, .. })),
        "{e}"
    );
    assert_eq!(
        fake.lock().expect("fake").requests,
        requests + 1,
        "a bearer token is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_with_a_field_list_asks_for_those_fields_only() {
    let with_pool: Vec<Value> = records()
        .into_iter()
        .map(|mut r| {
            r["Pool"] = json!("Yes");
            r["Gazebo"] = json!("No");
            r
        })
        .collect();
    let (base, fake) = fake_reso::start(with_pool).await;
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_path_buf();
    let run = |args: Vec<String>, stdin: String| cli(&d, args, stdin);
    let add = |name: &str, select: &str| add_reso(name, &base, &["--select", select]);
    let secret = format!("{}\n", fake_reso::CLIENT_SECRET);
    // A name that cannot be a field is refused before anything is saved.
    let (code, _, err) = run(add("bad", "ListPrice,List-Price"), secret.clone())
        .await
        .expect("join");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("List-Price") && err.contains("RESO Data Dictionary names"),
        "{err}"
    );
    let (code, _, err) = run(add("fake", "core,Pool"), secret.clone())
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(vec!["mls".into(), "list".into()], String::new())
        .await
        .expect("join");
    assert_eq!(code, 0);
    assert!(out.contains("(22 fields)"), "{out}");
    let (code, out, err) = run(vec!["mls".into(), "pull".into()], String::new())
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("25 new"), "{out}");
    let selects = fake.lock().expect("fake").selects.clone();
    assert!(!selects.is_empty());
    for select in &selects {
        assert!(
            select.starts_with("ListingKey,ModificationTimestamp,ListingId,"),
            "{select}"
        );
        assert!(select.ends_with(",Pool"), "{select}");
    }
    let p = Profile::open(dir.path(), OpenOptions::default()).expect("profile");
    let cached = common::cached(&p);
    assert_eq!(cached.len(), 25);
    for key in &cached {
        let l = p
            .listings()
            .get(key)
            .expect("listing")
            .mls
            .expect("the MLS part");
        assert_eq!(l.other.get("Pool").map(String::as_str), Some("Yes"));
        assert!(!l.other.contains_key("Gazebo"), "{:?}", l.other);
        assert!(l.list_price.is_some() && l.city.is_some());
    }
    drop(p);
    // A field the server does not have: the server's own words come back.
    let (code, _, err) = run(add("typo", "Poool"), secret).await.expect("join");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        vec!["mls".into(), "pull".into(), "typo".into()],
        String::new(),
    )
    .await
    .expect("join");
    assert_ne!(code, 0);
    assert!(
        err.contains("Could not find a property named 'Poool'"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_that_would_pass_the_daily_request_cap_stops_at_its_checkpoint_and_says_when() {
    let (base, fake) = fake_reso::start(records()).await;
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_path_buf();
    let secret = format!("{}\n", fake_reso::CLIENT_SECRET);
    // Three requests a day: the token and two pages.
    let add = add_reso("capped", &base, &["--requests-per-day", "3"]);
    let (code, _, err) = cli(&d, add, secret).await.expect("join");
    assert_eq!(code, 0, "{err}");
    let pull = vec!["mls".to_string(), "pull".into(), "capped".into()];
    let (code, _, err) = cli(&d, pull.clone(), String::new()).await.expect("join");
    assert_ne!(code, 0);
    assert!(
        err.contains("3 requests a day") && err.contains("resumes from here after"),
        "{err}"
    );
    assert_eq!(
        fake.lock().expect("fake").requests,
        2,
        "no request past the cap"
    );
    // Everything before the cap is kept, and the cap holds for the next run.
    let p = Profile::open(&d, OpenOptions::default()).expect("profile");
    assert_eq!(common::cached(&p).len(), 20);
    drop(p);
    let (code, _, err) = cli(&d, pull, String::new()).await.expect("join");
    assert_ne!(code, 0, "still capped today: {err}");
    assert_eq!(fake.lock().expect("fake").requests, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_over_its_cap_is_an_error_naming_the_cap_and_a_missing_photo_skips_only_itself() {
    let big: Vec<Value> = records()
        .into_iter()
        .map(|mut r| {
            r["PublicRemarks"] = json!("x".repeat(150_000));
            r
        })
        .collect();
    let (base, fake) = fake_reso::start(big).await;
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_path_buf();
    let secret = format!("{}\n", fake_reso::CLIENT_SECRET);
    let (code, _, err) = cli(&d, add_reso("big", &base, &["--media"]), secret)
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    let run = |env: Vec<(&'static str, &'static str)>| {
        let d = d.clone();
        tokio::task::spawn_blocking(move || {
            common::run_cli_env(&d, &["mls", "pull", "big"], "", &env)
        })
    };
    // Pages of 10 × 150 KB pass 1 MiB: refused whole, naming the cap.
    let (code, _, err) = run(vec![("PORCHLIGHT_MAX_JSON_MIB", "1")])
        .await
        .expect("join");
    assert_ne!(code, 0);
    assert!(
        err.contains("larger than 1 MiB") && err.contains("PORCHLIGHT_MAX_JSON_MIB"),
        "{err}"
    );
    let (code, _, err) = run(vec![]).await.expect("join");
    assert_eq!(code, 0, "the default cap takes them: {err}");

    // Two photo links, the first gone (404): the second is cached.
    let media = json!([
        { "MediaURL": format!("{base}/media/gone.jpg"), "Order": 1 },
        { "MediaURL": format!("{base}/media/2.jpg"), "Order": 2 }
    ]);
    {
        let mut f = fake.lock().expect("fake");
        f.records[3]["Media"] = media;
        f.records[3]["ModificationTimestamp"] = json!("2026-11-20T11:00:00Z");
        f.media.insert("2.jpg".into(), common::jpeg_image(64, 48));
    }
    let (code, _, err) = run(vec![]).await.expect("join");
    assert_eq!(code, 0, "{err}");
    let photos = cli(
        &d,
        ["--json", "listings", "photos", "R03"]
            .map(String::from)
            .to_vec(),
        String::new(),
    )
    .await
    .expect("join");
    assert_eq!(photos.0, 0, "{}", photos.2);
    let listed: Value = serde_json::from_str(&photos.1).expect("json");
    let n = listed["photos"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_else(|| listed.as_array().map(Vec::len).unwrap_or(0));
    assert_eq!(n, 1, "{listed}");
}

/// Records R00–R02 with two photos each (`/media/R0n-1.jpg`, `-2.jpg`),
/// the fake serving them, and a profile with a RESO connection asking for
/// Media (its secret saved as `mls add-reso` does).
async fn media_setup() -> (String, fake_reso::Shared, tempfile::TempDir) {
    let mut recs: Vec<Value> = records().into_iter().take(3).collect();
    let (base, fake) = fake_reso::start(Vec::new()).await;
    for (i, r) in recs.iter_mut().enumerate() {
        r["Media"] = json!([
            { "MediaKey": format!("M{i}-1"), "MediaURL": format!("{base}/media/R0{i}-1.jpg"), "Order": 1 },
            { "MediaKey": format!("M{i}-2"), "MediaURL": format!("{base}/media/R0{i}-2.jpg"), "Order": 2 },
        ]);
    }
    {
        let mut f = fake.lock().expect("fake");
        f.records = recs;
        for i in 0..3 {
            for n in 1..=2 {
                f.media
                    .insert(format!("R0{i}-{n}.jpg"), common::jpeg_image(40 * n, 30));
            }
        }
    }
    let dir = tempfile::tempdir().expect("dir");
    let secret = format!("{}\n", fake_reso::CLIENT_SECRET);
    let (code, _, err) = cli(dir.path(), add_reso("reso", &base, &["--media"]), secret)
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    (base, fake, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_photo_links_are_renewed_from_the_mls_and_kept() {
    use porchlight_store::listings::photos::{PhotoCache, listing_media_urls};
    use porchlight_store::secrets::{Mode, Secrets};

    let (_base, fake, dir) = media_setup().await;
    fake.lock().expect("fake").media_generation = 1;
    let (code, _, err) = cli(dir.path(), vec!["mls".into(), "pull".into()], String::new())
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    // An hour later the links sent with the pull no longer work.
    fake.lock().expect("fake").media_generation = 2;
    let mut p = Profile::open(dir.path(), OpenOptions::default()).expect("profile");
    let secrets = Secrets::with_mode(dir.path(), Mode::File);
    let cache = PhotoCache::new(dir.path());
    let fetched = p
        .photo_job(&secrets, "R01")
        .expect("job")
        .run(&cache)
        .await
        .expect("photos");
    let renewed = fetched
        .renewed
        .clone()
        .expect("the MLS was asked for new links");
    assert_eq!(renewed.listing_key, "R01");
    let photos = fetched.keep(&mut p).expect("keep");
    assert_eq!(photos.len(), 2);
    assert_eq!(
        std::fs::read(&photos[1].path).expect("photo"),
        common::jpeg_image(80, 30)
    );
    {
        let f = fake.lock().expect("fake");
        assert!(
            f.filters.iter().any(|q| q == "ListingKey eq 'R01'"),
            "{:?}",
            f.filters
        );
    }
    // The new links are in the cache (and so in the shared listing).
    let cached = p.listings().get("R01").expect("listing");
    let links = listing_media_urls(cached.mls.as_ref().expect("the MLS record"));
    assert!(links.iter().all(|u| u.ends_with("?sig=2")), "{links:?}");
    // Without the connection's secret, an expired link is a clear error.
    fake.lock().expect("fake").media_generation = 3;
    p.remove_mls_source("reso").expect("remove");
    let e = p
        .photo_job(&secrets, "R01")
        .expect("job")
        .run(&cache)
        .await
        .expect_err("expired");
    assert!(
        e.to_string()
            .contains("HTTP 403 (the link may have expired)"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_with_photos_fetches_new_and_changed_sets_and_reports_a_missing_one() {
    use porchlight_store::listings::photos::PhotoCache;

    let (_base, fake, dir) = media_setup().await;
    fake.lock().expect("fake").media_generation = 1;
    let pull = |extra: &[&str]| {
        let args = ["mls", "pull", "--photos", "--json"]
            .iter()
            .chain(extra)
            .map(|a| a.to_string())
            .collect();
        cli(dir.path(), args, String::new())
    };
    // One photo is missing on the server: the rest come, the pull succeeds
    // and says which one.
    fake.lock().expect("fake").media.remove("R02-2.jpg");
    let (code, out, err) = pull(&[]).await.expect("join");
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("json");
    let r = &report[0]["report"];
    assert_eq!(r["photos"]["listings"], 3, "{r}");
    assert_eq!(r["photos"]["photos"], 5, "{r}");
    assert_eq!(r["photos"]["skipped"], 1, "{r}");
    assert!(
        r["problems"].to_string().contains("R02: photo 2 skipped"),
        "{r}"
    );
    let cache = PhotoCache::new(dir.path());
    let cached = |key: &str| {
        cache
            .photos("reso", key)
            .expect("cache")
            .map(|p| p.len())
            .unwrap_or(0)
    };
    assert_eq!((cached("R00"), cached("R01"), cached("R02")), (2, 2, 1));
    // The links are signed afresh on every pull, but the sets did not
    // change: a full pull fetches only the set that was not whole.
    fake.lock().expect("fake").media_generation = 2;
    fake.lock()
        .expect("fake")
        .media
        .insert("R02-2.jpg".into(), common::jpeg_image(90, 30));
    let before = fake.lock().expect("fake").media_requests;
    let (code, out, err) = pull(&["--full"]).await.expect("join");
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report[0]["report"]["photos"]["listings"], 1, "{out}");
    assert_eq!(fake.lock().expect("fake").media_requests - before, 2);
    assert_eq!(cached("R02"), 2);
    // A listing whose set shrank keeps only the photos it still has.
    {
        let mut f = fake.lock().expect("fake");
        let r = &mut f.records[0];
        r["Media"].as_array_mut().expect("media").truncate(1);
        r["ModificationTimestamp"] = json!("2026-11-21T08:00:00Z");
    }
    let (code, _, err) = pull(&[]).await.expect("join");
    assert_eq!(code, 0, "{err}");
    assert_eq!(cached("R00"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_with_photos_from_a_connection_without_media_says_how_to_fix_it() {
    let (base, _fake) = fake_reso::start(records()).await;
    let dir = tempfile::tempdir().expect("dir");
    let secret = format!("{}\n", fake_reso::CLIENT_SECRET);
    let (code, _, err) = cli(dir.path(), add_reso("plain", &base, &[]), secret)
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    let args = ["mls", "pull", "--photos"].map(String::from).to_vec();
    let (code, _, err) = cli(dir.path(), args, String::new()).await.expect("join");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("does not ask for Media") && err.contains("--media"),
        "{err}"
    );
}
