//! Replication from a RETS server (the fake in porchlight-testkit): Digest and
//! Basic auth, relative capability URLs, the session cookie and UA
//! authorization, COMPACT metadata and lookups, MAXROWS paging from
//! Offset 1, 20201, busy codes and 5xx retried, an expired session logged
//! into again, a server that repeats a page, an interrupted pull that
//! resumes without gaps or duplicates, multipart photos, logout.

use crate::common;
use porchlight_testkit::rets as fake_rets;

use std::time::Duration;

use fake_rets::{Fake, LoginStyle, Photo, Record};
use porchlight_store::listings::pull::{PullError, PullOptions};
use porchlight_store::listings::rets::client::{RetsClient, RetsConfig, RetsError};
use porchlight_store::listings::rets::replicate::pull;
use porchlight_store::net::RetryPolicy;
use porchlight_store::{OpenOptions, Profile};

/// 23 listings a minute apart, except 4 and 5, which share a timestamp
/// across the first page boundary (the server sends 5 rows at a time).
fn records() -> Vec<Record> {
    (0..23)
        .map(|i| {
            let minute = if i == 5 { 4 } else { i };
            Record {
                key: format!("T{i:02}"),
                price: 300_000 + i * 1000,
                status: ["A", "U", "S"][i as usize % 3],
                features: if i % 2 == 0 { "P,G" } else { "" },
                city: "Boulder".into(),
                modified: format!("2026-11-20T09:{minute:02}:00"),
                remarks: match i {
                    1 => b"Caf\xe9 on the corner".to_vec(),
                    2 => b"Bad &#1; reference &amp; more".to_vec(),
                    _ => format!("Home {i}").into_bytes(),
                },
            }
        })
        .collect()
}

fn fake() -> Fake {
    Fake {
        records: records(),
        max_rows: 5,
        delimiter: Some("09"),
        ua_password: true,
        ..Fake::default()
    }
}

fn client(login_url: &str) -> RetsClient {
    let mut c = RetsClient::new(RetsConfig {
        login_url: login_url.to_string(),
        username: fake_rets::USER.into(),
        password: fake_rets::PASSWORD.into(),
        user_agent: fake_rets::USER_AGENT.into(),
        ua_password: Some(fake_rets::UA_PASSWORD.into()),
        version: "RETS/1.7.2".into(),
        resource: "Property".into(),
        class: "RES".into(),
        page_size: 50,
        net: Default::default(),
        fields: Default::default(),
    })
    .expect("client");
    c.retry = RetryPolicy {
        retries: Some(3),
        longest: Duration::from_millis(1500),
        ..RetryPolicy::VENDOR
    };
    c
}

fn profile(dir: &tempfile::TempDir) -> Profile {
    Profile::open(dir.path(), OpenOptions::default()).expect("profile")
}

/// A pull that reports no progress.
async fn quietly(
    p: &mut Profile,
    source: &str,
    client: &mut RetsClient,
    options: &PullOptions,
) -> Result<porchlight_store::listings::pull::PullReport, PullError> {
    pull(p, source, client, options, &mut |_| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_answers_digest_resolves_relative_urls_and_keeps_the_session() {
    let (login_url, fake) = fake_rets::start(fake()).await;
    let mut c = client(&login_url);
    let reply = c.login().await.expect("login").clone();
    assert_eq!(reply.other["MemberName"], "Maria Lopez");
    let base = login_url.trim_end_matches("/rets/login");
    // "/rets/search" and "logout" are relative; GetObject was absolute.
    assert_eq!(
        c.capability("Search").map(|u| u.as_str()),
        Some(format!("{base}/rets/search").as_str())
    );
    assert_eq!(
        c.capability("Logout").map(|u| u.as_str()),
        Some(format!("{base}/rets/logout").as_str())
    );
    assert_eq!(
        c.capability("GetObject").map(|u| u.as_str()),
        Some(format!("{base}/rets/getobject").as_str())
    );
    let m = c.class_metadata().await.expect("metadata");
    assert_eq!(m.key_field("Property").as_deref(), Some("LN"));
    c.logout().await;
    let f = fake.lock().expect("fake");
    assert!(
        f.challenges >= 1,
        "the first request met a Digest challenge"
    );
    assert_eq!(f.logins, 1);
    assert_eq!(f.logouts, 1);
    assert_eq!(
        f.metadata_requests,
        [
            "METADATA-RESOURCE 0",
            "METADATA-CLASS Property",
            "METADATA-TABLE Property:RES",
            "METADATA-LOOKUP_TYPE Property:*"
        ]
    );
    // Every request after the login carried the cookie (else 20037), the
    // User-Agent, RETS-Version and a valid RETS-UA-Authorization.
    assert!(f.violations.is_empty(), "{:?}", f.violations);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rets_10_and_18_logins_single_lookups_basic_refused_in_the_clear_and_a_wrong_password() {
    // Basic over plain http would send the password readable: refused
    // (tls.rs shows Basic answered over https).
    let (login_url, _fake) = fake_rets::start(Fake {
        basic: true,
        ..fake()
    })
    .await;
    let e = client(&login_url)
        .login()
        .await
        .expect_err("basic in the clear");
    assert!(matches!(e, RetsError::BasicInTheClear(_)), "{e}");
    assert!(e.to_string().contains("https://"), "{e}");
    for style in [LoginStyle::V10, LoginStyle::V18] {
        let (login_url, fake) = fake_rets::start(Fake {
            login_style: style,
            no_star_lookups: true,
            ..fake()
        })
        .await;
        let dir = tempfile::tempdir().expect("dir");
        let mut p = profile(&dir);
        let mut c = client(&login_url);
        let report = quietly(&mut p, "mls", &mut c, &PullOptions::default())
            .await
            .expect("pull");
        assert_eq!(report.import.added, 23, "{style:?}");
        let f = fake.lock().expect("fake");
        assert!(f.violations.is_empty(), "{style:?}: {:?}", f.violations);
        // `Property:*` was refused, so each lookup came alone.
        assert!(
            f.metadata_requests
                .contains(&"METADATA-LOOKUP_TYPE Property:STATUS".to_string())
        );
        assert!(
            f.metadata_requests
                .contains(&"METADATA-LOOKUP_TYPE Property:FEATURES".to_string())
        );
    }
    let (login_url, _fake) = fake_rets::start(fake()).await;
    let mut c = client(&login_url);
    let mut config = c.config().clone();
    config.password = "wrong".into();
    c = RetsClient::new(config).expect("client");
    let e = c.login().await.expect_err("refused");
    assert!(matches!(e, RetsError::Auth(_)), "{e}");
    assert!(e.to_string().contains("user name and password"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_is_not_a_rets_response() {
    let (login_url, _fake) = fake_rets::start(Fake {
        login_style: LoginStyle::Html,
        ..fake()
    })
    .await;
    let e = client(&login_url).login().await.expect_err("html");
    assert!(e.to_string().contains("not a RETS response"), "{e}");
    assert!(e.to_string().contains("HTML page"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_pages_by_maxrows_decodes_lookups_and_resumes_after_an_interruption() {
    let (login_url, fake) = fake_rets::start(Fake {
        // The third page (offset 11) fails for good the first time.
        fail_at_offset: Some(11),
        delimiter: Some("7C"),
        bare_lines: true,
        ..fake()
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let mut p = profile(&dir);
    let mut c = client(&login_url);
    let mut seen = Vec::new();
    let e = pull(&mut p, "mls", &mut c, &PullOptions::default(), &mut |pr| {
        seen.push(pr)
    })
    .await
    .expect_err("interrupted");
    assert!(
        matches!(e, PullError::Rets(RetsError::Http { status: 500, .. })),
        "{e}"
    );
    assert_eq!(common::cached(&p).len(), 10, "two whole pages are in");
    assert_eq!(seen.last().map(|s| (s.done, s.total)), Some((10, Some(23))));
    assert!(
        p.listings().mark("mls").expect("mark").is_none(),
        "the mark waits for the whole query"
    );
    assert!(
        p.listings()
            .checkpoint("mls")
            .expect("checkpoint")
            .is_some()
    );
    assert_eq!(fake.lock().expect("fake").logouts, 1, "logged out even so");

    // Back up, with a busy reply, a 503, a 429 and an expiring session on
    // the way: the pull starts at offset 11, not 1, and fills the rest.
    {
        let mut f = fake.lock().expect("fake");
        f.fail_at_offset = None;
        f.searches.clear();
        f.busy_next = 1;
        f.unavailable_next = 1;
        f.throttle_next = true;
        f.session_searches_left = Some(4);
    }
    let report = quietly(&mut p, "mls", &mut c, &PullOptions::default())
        .await
        .expect("resume");
    let keys = common::cached(&p);
    assert_eq!(keys.len(), 23, "{keys:?}");
    assert_eq!(report.import.added, 13);
    assert_eq!(report.import.unchanged, 0);
    {
        let f = fake.lock().expect("fake");
        assert_eq!(
            f.searches.first(),
            Some(&11),
            "resumed at the checkpoint: {:?}",
            f.searches
        );
        assert!(f.searches.iter().all(|o| *o >= 11), "{:?}", f.searches);
        assert_eq!(
            f.logins, 3,
            "one per pull, and once more when the session expired"
        );
        assert!(f.violations.is_empty(), "{:?}", f.violations);
    }
    assert!(
        p.listings()
            .checkpoint("mls")
            .expect("checkpoint")
            .is_none()
    );
    assert_eq!(
        p.listings()
            .mark("mls")
            .expect("mark")
            .map(|m| m.to_rfc3339()),
        Some("2026-11-20T09:22:00+00:00".to_string())
    );
    // Lookups decoded by Value; Latin-1 and a bad reference survive.
    fn l(p: &Profile, k: &str) -> porchlight_store::listings::Listing {
        p.listings().get(k).expect("listing").mls.expect("mls")
    }
    assert_eq!(
        l(&p, "T00").standard_status.map(|s| s.as_str()),
        Some("Active")
    );
    assert_eq!(
        l(&p, "T01").standard_status.map(|s| s.as_str()),
        Some("ActiveUnderContract")
    );
    assert_eq!(
        l(&p, "T02").standard_status.map(|s| s.as_str()),
        Some("Closed")
    );
    assert_eq!(
        l(&p, "T00").other.get("FEAT").map(String::as_str),
        Some("Pool, Garage")
    );
    assert_eq!(
        l(&p, "T01").public_remarks.as_deref(),
        Some("Café on the corner")
    );
    assert_eq!(
        l(&p, "T02").public_remarks.as_deref(),
        Some("Bad \u{fffd} reference & more")
    );
    assert_eq!(l(&p, "T05").list_price, Some(305_000.0));

    // Nothing new since the mark but the record at the mark itself; then a
    // change to one listing.
    let report = quietly(&mut p, "mls", &mut c, &PullOptions::default())
        .await
        .expect("again");
    assert_eq!(
        (
            report.import.added,
            report.import.updated,
            report.import.unchanged
        ),
        (0, 0, 1)
    );
    {
        let mut f = fake.lock().expect("fake");
        f.records[7].price = 1;
        f.records[7].modified = "2026-11-21T08:00:00".into();
    }
    let report = quietly(&mut p, "mls", &mut c, &PullOptions::default())
        .await
        .expect("change");
    assert_eq!((report.import.added, report.import.updated), (0, 1));
    assert_eq!(l(&p, "T07").list_price, Some(1.0));
    // A full pull drops what the MLS no longer has.
    fake.lock().expect("fake").records.remove(0);
    let report = quietly(&mut p, "mls", &mut c, &PullOptions::full())
        .await
        .expect("full");
    assert_eq!(report.import.removed, 1);
    assert_eq!(common::cached(&p).len(), 22);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_records_is_20201_and_a_repeated_page_stops_the_pull() {
    let (login_url, fake) = fake_rets::start(Fake {
        records: Vec::new(),
        delimiter: None,
        ..fake()
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let mut p = profile(&dir);
    let mut c = client(&login_url);
    let report = quietly(&mut p, "mls", &mut c, &PullOptions::default())
        .await
        .expect("20201 is no error");
    assert_eq!((report.pages, report.import.added), (1, 0));
    {
        let mut f = fake.lock().expect("fake");
        f.records = records();
        f.ignore_offset = true;
    }
    let e = quietly(&mut p, "mls", &mut c, &PullOptions::default())
        .await
        .expect_err("repeats");
    assert!(
        matches!(e, PullError::Rets(RetsError::RepeatedPage { offset: 6 })),
        "{e}"
    );
    assert!(e.to_string().contains("same page"), "{e}");
    assert_eq!(common::cached(&p).len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_replies_run_out_of_retries_and_a_failing_logout_is_ignored() {
    let (login_url, fake) = fake_rets::start(Fake {
        busy_next: 10,
        logout_fails: true,
        ..fake()
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let mut p = profile(&dir);
    let mut c = client(&login_url);
    c.retry = RetryPolicy {
        first: Duration::from_millis(10),
        longest: Duration::from_millis(50),
        retries: Some(2),
    };
    let e = quietly(&mut p, "mls", &mut c, &PullOptions::default())
        .await
        .expect_err("busy");
    assert!(e.to_string().contains("20209"), "{e}");
    fake.lock().expect("fake").busy_next = 0;
    let report = quietly(&mut p, "mls", &mut c, &PullOptions::default())
        .await
        .expect("logout failure ignored");
    assert_eq!(report.import.added, 23);
    assert_eq!(fake.lock().expect("fake").logouts, 2);
}

fn jpeg(n: u8) -> Vec<u8> {
    let mut v = vec![0xff, 0xd8, 0xff, 0xe0];
    v.extend(std::iter::repeat_n(n, 64));
    v.extend([b'\r', b'\n', 0xff, 0xd9]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_photos_with_missing_and_location_parts() {
    for lf_only in [false, true] {
        let mut f = fake();
        f.lf_only = lf_only;
        f.photos.insert(
            "T01".into(),
            vec![
                Photo::Jpeg(jpeg(1)),
                Photo::Missing,
                Photo::Location("http://cdn.example.com/T01/3.jpg".into()),
                Photo::Jpeg(jpeg(4)),
            ],
        );
        let (login_url, _fake) = fake_rets::start(f).await;
        let mut c = client(&login_url);
        c.login().await.expect("login");
        let parts = c.get_object("Photo", "T01:*", true).await.expect("photos");
        assert_eq!(parts.len(), 4, "lf_only={lf_only}");
        assert_eq!(parts[0].data, jpeg(1), "lf_only={lf_only}");
        assert_eq!(parts[0].object_id, Some(1));
        assert!(parts[1].is_missing());
        assert_eq!(
            parts[2].location.as_deref(),
            Some("http://cdn.example.com/T01/3.jpg")
        );
        assert_eq!(parts[3].data, jpeg(4));
        assert!(parts.iter().all(|p| p.content_id == "T01"));
        // One photo comes as a plain reply; a listing with none as 20403.
        let one = c.get_object("Photo", "T01:4", false).await.expect("one");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].data, jpeg(4));
        let none = c.get_object("Photo", "T09:*", false).await.expect("none");
        assert!(none[0].is_missing());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_adds_a_rets_connection_and_pulls_with_progress() {
    let (login_url, fake) = fake_rets::start(fake()).await;
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_path_buf();
    let run = move |args: Vec<&'static str>, extra: Vec<String>, stdin: String| {
        let d = d.clone();
        tokio::task::spawn_blocking(move || {
            let mut all: Vec<&str> = args.clone();
            all.extend(extra.iter().map(String::as_str));
            common::run_cli(&d, &all, &stdin)
        })
    };
    let secrets = format!("{}\n{}\n", fake_rets::PASSWORD, fake_rets::UA_PASSWORD);
    let (code, out, err) = run(
        vec![
            "mls",
            "add-rets",
            "metro",
            "--user",
            fake_rets::USER,
            "--ua-password",
            "--page-size",
            "8",
        ],
        vec!["--url".into(), login_url.clone()],
        secrets,
    )
    .await
    .expect("join");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Added RETS 'metro'"), "{out}");
    let (code, out, err) = run(vec!["mls", "pull", "metro"], vec![], String::new())
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("metro: 5 pages, 23 new"), "{out}");
    assert!(err.contains("23/23 listings"), "progress: {err}");
    assert!(fake.lock().expect("fake").violations.is_empty());
    let (code, out, _) = run(vec!["mls", "list"], vec![], String::new())
        .await
        .expect("join");
    assert_eq!(code, 0);
    assert!(
        out.contains("metro  RETS") && out.contains("Property:RES as maria"),
        "{out}"
    );
    let (code, out, _) = run(vec!["listings", "search", "café"], vec![], String::new())
        .await
        .expect("join");
    assert_eq!(code, 0);
    assert!(out.contains("T01"), "{out}");
    // The passwords are in the secret store, not in SQLite.
    let db = std::fs::read(dir.path().join("porchlight.db")).expect("db");
    for secret in [fake_rets::PASSWORD, fake_rets::UA_PASSWORD] {
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in SQLite"
        );
    }
    // Missing password, bad version, wrong password: exit 2 with the reason.
    let (code, _, err) = run(
        vec!["mls", "add-rets", "x", "--user", "u"],
        vec!["--url".into(), login_url.clone()],
        String::new(),
    )
    .await
    .expect("join");
    assert_eq!(code, 2);
    assert!(err.contains("no secret given"), "{err}");
    let (code, _, err) = run(
        vec![
            "mls",
            "add-rets",
            "x",
            "--user",
            "u",
            "--rets-version",
            "RETS/9",
        ],
        vec!["--url".into(), login_url.clone()],
        "p\n".into(),
    )
    .await
    .expect("join");
    assert_eq!(code, 2);
    assert!(err.contains("RETS/1.7.2"), "{err}");
    let (code, _, _) = run(
        vec![
            "mls",
            "add-rets",
            "metro",
            "--user",
            fake_rets::USER,
            "--ua-password",
        ],
        vec!["--url".into(), login_url.clone()],
        format!("wrong\n{}\n", fake_rets::UA_PASSWORD),
    )
    .await
    .expect("join");
    assert_eq!(code, 0);
    let (code, _, err) = run(vec!["mls", "pull", "metro"], vec![], String::new())
        .await
        .expect("join");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused the login"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_are_fetched_once_cached_with_thumbnails_and_shown_offline() {
    let (login_url, fake) = fake_rets::start(fake()).await;
    let base = login_url.trim_end_matches("/rets/login").to_string();
    {
        let mut f = fake.lock().expect("fake");
        f.photos.insert(
            "T01".into(),
            vec![
                Photo::Jpeg(common::jpeg_image(800, 600)),
                Photo::Missing,
                Photo::Location(format!("{base}/cdn/T01-3.jpg")),
            ],
        );
        f.cdn
            .insert("T01-3.jpg".into(), common::jpeg_image(640, 480));
    }
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_path_buf();
    let run = move |args: Vec<String>, stdin: String| {
        let d = d.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::run_cli(&d, &args, &stdin)
        })
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (code, _, err) = run(
        s(&[
            "mls",
            "add-rets",
            "metro",
            "--user",
            fake_rets::USER,
            "--ua-password",
            "--url",
            &login_url,
        ]),
        format!("{}\n{}\n", fake_rets::PASSWORD, fake_rets::UA_PASSWORD),
    )
    .await
    .expect("join");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(s(&["mls", "pull"]), String::new()).await.expect("join");
    assert_eq!(code, 0, "{err}");
    // Offline before any fetch: says so.
    let (code, _, err) = run(
        s(&["listings", "photos", "T01", "--offline"]),
        String::new(),
    )
    .await
    .expect("join");
    assert_eq!(code, 2);
    assert!(err.contains("no photos of T01 are cached"), "{err}");
    let (code, out, err) = run(s(&["listings", "photos", "T01", "--json"]), String::new())
        .await
        .expect("join");
    assert_eq!(code, 0, "{err}");
    let photos: serde_json::Value = serde_json::from_str(&out).expect("json");
    let numbers: Vec<u64> = photos
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["number"].as_u64())
        .collect();
    assert_eq!(
        numbers,
        [1, 3],
        "photo 2 is 20403, photo 3 came by Location"
    );
    for p in photos.as_array().expect("array") {
        let thumb = std::fs::read(p["thumbnail"].as_str().expect("path")).expect("thumbnail");
        let img = image::load_from_memory(&thumb).expect("a picture");
        assert!(img.width() <= 320 && img.height() <= 240);
    }
    let getobjects = fake.lock().expect("fake").violations.len();
    assert_eq!(getobjects, 0);
    // The MLS goes away: the photos still show, from the cache.
    fake.lock().expect("fake").photos.clear();
    let (code, out, err) = run(
        s(&["listings", "photos", "T01", "--offline"]),
        String::new(),
    )
    .await
    .expect("join");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("T01: 2 photos"), "{out}");
    // A listing without photos is remembered as such.
    let (code, out, _) = run(s(&["listings", "photos", "T02"]), String::new())
        .await
        .expect("join");
    assert_eq!(code, 0);
    assert!(out.contains("has no photos"), "{out}");
    let (code, out, _) = run(
        s(&["listings", "photos", "T02", "--offline"]),
        String::new(),
    )
    .await
    .expect("join");
    assert_eq!(code, 0);
    assert!(out.contains("has no photos"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_20208_pages_20210_waits_a_401_mid_session_logs_in_again_and_a_wrong_class_says_which_exist()
 {
    let (login_url, fake) = fake_rets::start(Fake {
        reply_20208: true,
        busy_requests_next: 1,
        session_gone_is_401: true,
        session_searches_left: Some(2),
        ..fake()
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let mut p = profile(&dir);
    let mut c = client(&login_url);
    let report = quietly(&mut p, "mls", &mut c, &PullOptions::default())
        .await
        .expect("pull");
    assert_eq!(report.import.added, 23);
    assert_eq!(report.pages, 5, "20208 meant more, like MAXROWS");
    {
        let f = fake.lock().expect("fake");
        assert_eq!(f.logins, 2, "the 401 mid-session brought one more login");
        assert!(f.violations.is_empty(), "{:?}", f.violations);
    }
    let mut config = c.config().clone();
    config.class = "COM".into();
    let mut wrong = RetsClient::new(config).expect("client");
    let e = quietly(&mut p, "mls", &mut wrong, &PullOptions::default())
        .await
        .expect_err("no such class");
    assert!(e.is_user_error(), "{e}");
    assert!(
        e.to_string().contains("no class 'COM'") && e.to_string().contains("RES, CND"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_reply_or_a_row_with_a_stray_delimiter_never_loses_or_deletes_a_listing() {
    let (login_url, fake) = fake_rets::start(fake()).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut p = profile(&dir);

    // The second page is cut off mid-reply: the first page is in, the
    // second is not (not even its whole rows), and the error says so.
    fake.lock().expect("fake").cut_at_offset = Some(6);
    let e = pull(
        &mut p,
        "mls",
        &mut client(&login_url),
        &PullOptions::default(),
        &mut |_| {},
    )
    .await
    .expect_err("cut off");
    assert!(e.to_string().contains("cut off"), "{e}");
    assert_eq!(common::cached(&p).len(), 5);
    // Once the server sends whole pages, the pull resumes and completes.
    fake.lock().expect("fake").cut_at_offset = None;
    let report = pull(
        &mut p,
        "mls",
        &mut client(&login_url),
        &PullOptions::default(),
        &mut |_| {},
    )
    .await
    .expect("resumed");
    assert_eq!(report.import.added, 18);
    assert_eq!(common::cached(&p).len(), 23);

    // T07's remarks gain a tab (the delimiter): its row has a field too
    // many. Without --skip-bad the pull stops at that page, naming it.
    {
        let mut f = fake.lock().expect("fake");
        f.records[7].remarks = b"Big\tyard".to_vec();
        f.records[7].modified = "2026-11-20T11:00:00".into();
    }
    let e = pull(
        &mut p,
        "mls",
        &mut client(&login_url),
        &PullOptions::full(),
        &mut |_| {},
    )
    .await
    .expect_err("bad row");
    let text = e.to_string();
    assert!(
        text.contains("key T07") && text.contains("--skip-bad"),
        "{text}"
    );
    // With it, the other rows import, T07 is reported, and a full pull
    // does not delete T07 (merely unread) from the cache.
    let mut c = client(&login_url);
    let options = PullOptions {
        full: true,
        skip_bad: true,
        ..PullOptions::default()
    };
    let report = quietly(&mut p, "mls", &mut c, &options)
        .await
        .expect("skip bad");
    assert_eq!(report.import.removed, 0, "{:?}", report.problems);
    assert_eq!(report.problem_count, 1);
    assert!(report.problems[0].contains("T07"), "{:?}", report.problems);
    assert!(common::cached(&p).contains(&"T07".to_string()));
    assert_eq!(common::cached(&p).len(), 23);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rets_pull_with_photos_fetches_each_listings_photos_once() {
    use porchlight_store::listings::photos::PhotoCache;

    let (login_url, fake) = fake_rets::start(fake()).await;
    fake.lock().expect("fake").photos.insert(
        "T03".into(),
        vec![
            Photo::Jpeg(common::jpeg_image(300, 200)),
            Photo::Jpeg(common::jpeg_image(200, 100)),
        ],
    );
    let dir = tempfile::tempdir().expect("dir");
    let mut p = profile(&dir);
    let cache = PhotoCache::new(dir.path());
    let options = PullOptions {
        photos: Some(cache.clone()),
        ..PullOptions::default()
    };
    let report = pull(
        &mut p,
        "mls",
        &mut client(&login_url),
        &options,
        &mut |_| {},
    )
    .await
    .expect("pull");
    assert_eq!(
        report.photos.listings, 23,
        "every new listing is asked once"
    );
    assert_eq!(report.photos.photos, 2);
    assert_eq!(fake.lock().expect("fake").getobjects, 23);
    assert_eq!(
        cache.photos("mls", "T03").expect("cache").map(|p| p.len()),
        Some(2)
    );
    assert_eq!(cache.photos("mls", "T04").expect("cache"), Some(Vec::new()));
    // Pulled again, nothing is asked for: every listing's photos are cached.
    let report = pull(
        &mut p,
        "mls",
        &mut client(&login_url),
        &options,
        &mut |_| {},
    )
    .await
    .expect("again");
    assert_eq!(report.photos.listings, 0);
    assert_eq!(fake.lock().expect("fake").getobjects, 23);
}
