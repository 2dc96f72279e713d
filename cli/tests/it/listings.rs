//! The listing cache from the command line: CSV imports good and bad, and
//! a teammate without MLS credentials getting the cache through the relay.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{json, pl, sign_in, start, stop};

const EXPORT: &str = "MLS #,Status,List Price,Beds,Baths,Sq Ft,Address,City,Zip,Remarks
A100,Active,\"$450,000\",3,2,1800,12 Oak St,Denver,80202,Sunny bungalow with hardwood floors
A101,Active Under Contract,615000,4,3,2400,48 Elm Ave,Denver,80203,\"Modern farmhouse, big yard\"
A102,Closed,399000,2,1,950,7 Pine Ct,Aurora,80010,Starter home near the park
";

const BAD: &str = "MLS #,Status,List Price,Beds,City
B1,Active,300000,3,Denver
B2,Active,call agent,3,Denver
B3,Active,350000,three,Golden
B4,Active,325000,2,Boulder
";

/// Runs porchlight; returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_porchlight"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--user", "maria", "--tz", "UTC"])
        .args(args)
        .output()
        .expect("run porchlight");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn search_keys(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--json", "listings", "search"];
    all.extend_from_slice(args);
    let (code, out, err) = run(dir, &all);
    assert_eq!(code, 0, "{err}");
    let mut keys: Vec<String> = json(&out)
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|l| l["key"].as_str().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

#[test]
fn a_csv_export_imports_and_a_bad_one_changes_nothing_unless_told() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let good = d.join("export.csv");
    std::fs::write(&good, EXPORT).expect("write");
    let (code, out, err) = run(d, &["mls", "import-csv", good.to_str().expect("path")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 new"), "{out}");
    assert_eq!(search_keys(d, &["hardwood"]), ["A100"]);
    assert_eq!(
        search_keys(d, &["--city", "denver", "--beds", "4"]),
        ["A101"]
    );
    assert_eq!(
        search_keys(d, &["--status", "Active Under Contract"]),
        ["A101"]
    );
    assert_eq!(search_keys(d, &["--max-price", "450000"]), ["A100", "A102"]);
    let (code, out, _) = run(d, &["listings", "show", "A100"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("ListPrice: 450000") && out.contains("12 Oak St"),
        "{out}"
    );

    // Bad records: every one named by its line, exit 2, nothing imported.
    let bad = d.join("bad.csv");
    std::fs::write(&bad, BAD).expect("write");
    let (code, _, err) = run(d, &["mls", "import-csv", bad.to_str().expect("path")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 3 (B2)") && err.contains("call agent"),
        "{err}"
    );
    assert!(err.contains("line 4 (B3)"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        search_keys(d, &["--city", "boulder"]).is_empty(),
        "half imported"
    );
    // Told to skip them: the good ones go in, the bad are still reported.
    let (code, out, err) = run(
        d,
        &[
            "mls",
            "import-csv",
            bad.to_str().expect("path"),
            "--skip-bad",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("skipped line 3 (B2)"), "{err}");
    assert!(
        out.contains("2 new") && out.contains("2 bad records skipped"),
        "{out}"
    );
    assert_eq!(search_keys(d, &["--city", "boulder"]), ["B4"]);

    // A mapping file names columns the defaults do not know.
    let odd = d.join("odd.csv");
    std::fs::write(&odd, "Ref,Asking,Town\nC1,\"1,100,000\",Vail\n").expect("write");
    let (code, _, err) = run(d, &["mls", "import-csv", odd.to_str().expect("path")]);
    assert_eq!(code, 2);
    assert!(err.contains("no column holds the listing's key"), "{err}");
    let mapping = d.join("mapping.toml");
    std::fs::write(
        &mapping,
        "[columns]\nRef = \"ListingKey\"\nAsking = \"ListPrice\"\nTown = \"City\"\n",
    )
    .expect("write");
    let (code, _, err) = run(
        d,
        &[
            "mls",
            "import-csv",
            odd.to_str().expect("path"),
            "--mapping",
            mapping.to_str().expect("path"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        search_keys(d, &["--city", "vail", "--min-price", "1000000"]),
        ["C1"]
    );
    // Comparables and market stats over a sold listing in the same city.
    let sold = d.join("sold.csv");
    std::fs::write(
        &sold,
        "MLS #,Status,List Price,Sold Price,Sold Date,Beds,Baths,Sq Ft,City,Zip\n\
         S1,Closed,460000,455000,2026-10-02,3,2,1850,Denver,80202\n",
    )
    .expect("write");
    let (code, _, err) = run(
        d,
        &[
            "mls",
            "import-csv",
            sold.to_str().expect("path"),
            "--source",
            "sold",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(
        d,
        &[
            "--json",
            "listings",
            "comps",
            "A100",
            "--now",
            "2026-11-23T12:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let comps = json(&out);
    assert_eq!(
        comps["comps"]["comparables"][0]["listing"]["ListingKey"], "S1",
        "{comps}"
    );
    assert!(
        comps["comps"]["value"]["estimate"]
            .as_f64()
            .is_some_and(|v| v > 400_000.0),
        "{comps}"
    );
    let report = d.join("comps.html");
    let (code, _, err) = run(
        d,
        &[
            "listings",
            "comps",
            "A100",
            "--now",
            "2026-11-23T12:00:00Z",
            "--html",
            report.to_str().expect("path"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Wrote the comparables report"), "{err}");
    let html = std::fs::read_to_string(&report).expect("report");
    assert!(
        html.starts_with("<!doctype html>")
            && html.contains("Comparable sales (")
            && html.contains("Estimate<b>$"),
        "{html}"
    );
    let (code, out, err) = run(
        d,
        &[
            "listings",
            "stats",
            "--by",
            "city",
            "--now",
            "2026-11-23T12:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("Denver") && l.contains("$455,000")),
        "{out}"
    );
    // Synthetic listings in, the whole cache out, and back into a new profile.
    let generated = d.join("generated.csv");
    let (code, _, err) = run(
        d,
        &[
            "mls",
            "generate",
            "--count",
            "200",
            "-o",
            generated.to_str().expect("path"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(
        d,
        &[
            "mls",
            "import-csv",
            generated.to_str().expect("path"),
            "--source",
            "demo",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("200 new"), "{out}");
    let exported = d.join("exported.csv");
    let (code, _, err) = run(
        d,
        &[
            "listings",
            "export",
            "--csv",
            "-o",
            exported.to_str().expect("path"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let other = tempfile::tempdir().expect("dir");
    let (code, out, err) = run(
        other.path(),
        &["mls", "import-csv", exported.to_str().expect("path")],
    );
    assert_eq!(code, 0, "{err}");
    let total = 200 + 3 + 2 + 1 + 1; // generated, the export, the skipped file's good ones, C1, S1
    assert!(out.contains(&format!("{total} new")), "{out}");
    let (code, _, err) = run(d, &["mls", "import-csv", "/no/such/file.csv"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(d, &["listings", "show", "ZZZ"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no listing 'ZZZ'"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teammate_without_mls_credentials_searches_the_same_cache_offline() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let maria = tempfile::tempdir().expect("maria");
    let joe = tempfile::tempdir().expect("joe");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (m, j) = (maria.path(), joe.path());
    sign_in(m, "maria", &url, "maria@example.com", None).await;
    pl(m, "maria", &["team", "create", "Oak St"], "").await;
    let invite = json(
        &pl(
            m,
            "maria",
            &["--json", "team", "invite", "Oak St", "--role", "member"],
            "",
        )
        .await,
    );
    let code = invite["code"].as_str().expect("code").to_string();
    sign_in(j, "joe", &url, "joe@example.com", Some(&code)).await;

    let export = m.join("export.csv");
    std::fs::write(&export, EXPORT).expect("write");
    pl(
        m,
        "maria",
        &["mls", "import-csv", export.to_str().expect("path")],
        "",
    )
    .await;
    pl(m, "maria", &["listings", "share", "--team", "Oak St"], "").await;
    pl(m, "maria", &["sync"], "").await;
    pl(j, "joe", &["sync"], "").await;

    // The relay goes away: Joe searches and reads offline.
    stop(running).await;
    assert_eq!(search_keys(j, &["hardwood"]), ["A100"]);
    assert_eq!(search_keys(j, &["--city", "Denver"]), ["A100", "A101"]);
    // Both add a note to one listing while offline.
    pl(
        m,
        "maria",
        &["listings", "note", "A100", "Roof replaced in 2024"],
        "",
    )
    .await;
    pl(
        j,
        "joe",
        &["listings", "note", "A100", "Seller is flexible on closing"],
        "",
    )
    .await;
    // Joe also marks it a favourite and books the showing; Maria tags it.
    pl(j, "joe", &["listings", "fav", "A100"], "").await;
    pl(j, "joe", &["listings", "showing", "A100", "scheduled"], "").await;
    pl(m, "maria", &["listings", "tag", "A100", "corner-lot"], "").await;

    let (running, _) = start(relay_dir.path(), addr).await;
    pl(m, "maria", &["sync"], "").await;
    pl(j, "joe", &["sync"], "").await;
    pl(m, "maria", &["sync"], "").await;
    // A re-import with a price cut keeps both notes.
    std::fs::write(&export, EXPORT.replace("\"$450,000\"", "440000")).expect("write");
    let out = pl(
        m,
        "maria",
        &["mls", "import-csv", export.to_str().expect("path")],
        "",
    )
    .await;
    assert!(out.contains("1 updated"), "{out}");
    pl(m, "maria", &["sync"], "").await;
    pl(j, "joe", &["sync"], "").await;
    for (dir, user) in [(m, "maria"), (j, "joe")] {
        let shown = json(&pl(dir, user, &["--json", "listings", "show", "A100"], "").await);
        let mut notes: Vec<&str> = shown["team"]["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .filter_map(|n| n["text"].as_str())
            .collect();
        notes.sort();
        assert_eq!(
            notes,
            ["Roof replaced in 2024", "Seller is flexible on closing"],
            "{user}"
        );
        assert_eq!(shown["mls"]["ListPrice"], 440_000.0, "{user}");
        assert_eq!(shown["team"]["favourite"], true, "{user}");
        assert_eq!(shown["team"]["showing"], "scheduled", "{user}");
        assert_eq!(
            shown["team"]["tags"],
            serde_json::json!(["corner-lot"]),
            "{user}"
        );
    }
    stop(running).await;
}
