//! CSV exports, good and bad.

use super::*;
use porchlight_model::StandardStatus;

const GOOD: &str = "\u{feff}MLS #,Status,List Price,Beds,Baths,Sq Ft,Address,City,Zip,Lat,Lng,List Date,Remarks,Pool\r
A100,Active,\"$450,000\",3,2,1800,12 Oak St,Denver,80202,39.74,-104.99,11/02/2026,\"Sunny, with a \"\"big\"\" yard\",yes\r
A101,Active Under Contract,615000,4,3.5,2400,48 Elm Ave,Denver,80203,39.73,-104.98,2026-10-15,\"Two\nlines\",\r
\r
A102,Closed,399000,2,1,950,7 Pine Ct,Aurora,80010,,,,Sold fast,no\r
";

#[test]
fn a_good_export_reads_every_listing() {
    let report = read(GOOD.as_bytes(), &Mapping::default()).expect("reads");
    assert_eq!(report.errors, []);
    let keys: Vec<&str> = report
        .listings
        .iter()
        .map(|l| l.listing_key.as_str())
        .collect();
    assert_eq!(keys, ["A100", "A101", "A102"]);
    let a = &report.listings[0];
    assert_eq!(a.listing_id.as_deref(), Some("A100"));
    assert_eq!(a.list_price, Some(450_000.0));
    assert_eq!(
        a.public_remarks.as_deref(),
        Some("Sunny, with a \"big\" yard")
    );
    assert_eq!(a.other.get("Pool").map(String::as_str), Some("yes"));
    let b = &report.listings[1];
    assert_eq!(b.standard_status, Some(StandardStatus::ActiveUnderContract));
    assert_eq!(b.public_remarks.as_deref(), Some("Two\nlines"));
    assert_eq!(report.listings[2].latitude, None);
    assert_eq!(report.clone().accept(false).expect("all good").len(), 3);
}

#[test]
fn bad_records_are_reported_by_line_and_nothing_is_imported_unless_skipped() {
    let text = "ListingKey,ListPrice,BedroomsTotal,City\n\
K1,100000,3,Denver\n\
K2,call agent,3,Denver\n\
K3,200000,three,Aurora\n\
,300000,2,Boulder\n\
K5,250000,2\n\
K1,100000,3,Denver\n\
K7,\"175,000\",1,Golden\n";
    let report = read(text.as_bytes(), &Mapping::default()).expect("reads");
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7]);
    assert_eq!(report.errors[0].listing_key.as_deref(), Some("K2"));
    assert!(
        report.errors[0].message.contains("call agent"),
        "{}",
        report.errors[0]
    );
    assert!(
        report.errors[2].message.contains("ListingKey"),
        "{}",
        report.errors[2]
    );
    assert!(
        report.errors[3]
            .message
            .contains("3 fields where the header has 4")
    );
    assert!(report.errors[4].message.contains("same listing as line 2"));
    let refused = report.clone().accept(false).expect_err("refused");
    let text = refused.to_string();
    assert!(
        text.contains("5 of the file's records") && text.contains("line 3 (K2)"),
        "{text}"
    );
    let kept: Vec<String> = report
        .accept(true)
        .expect("skipped")
        .into_iter()
        .map(|l| l.listing_key)
        .collect();
    assert_eq!(kept, ["K1", "K7"]);
}

#[test]
fn latin1_and_windows_1252_exports_read() {
    let bytes = b"ListingKey,City,PublicRemarks\nK1,Ca\xf1on City,\x93Charming\x94 caf\xe9\n";
    let report = read(bytes, &Mapping::default()).expect("reads");
    assert_eq!(report.listings[0].city.as_deref(), Some("Cañon City"));
    assert_eq!(
        report.listings[0].public_remarks.as_deref(),
        Some("“Charming” café")
    );
}

#[test]
fn files_that_cannot_be_imported_say_why() {
    assert_eq!(read(b"", &Mapping::default()), Err(CsvError::Empty));
    let e = read(b"Address,City\n1 Main St,Denver\n", &Mapping::default()).expect_err("no key");
    assert!(e.to_string().contains("Address, City"), "{e}");
    // A mapping file can name the key column.
    let m = Mapping::from_toml("[columns]\n\"Address\" = \"ListingKey\"\n").expect("mapping");
    let r = read(b"Address,City\n1 Main St,Denver\n", &m).expect("reads");
    assert_eq!(r.listings[0].listing_key, "1 Main St");
    // An unclosed quote runs to the end of the file: a record, not a panic.
    let r = read(
        b"ListingKey,City\nK1,\"Denver\nK2,Aurora\n",
        &Mapping::default(),
    )
    .expect("reads");
    assert_eq!(r.listings.len() + r.errors.len(), 1);
}

#[test]
fn what_is_written_reads_back_the_same() {
    let until = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    let listings = crate::synthetic::listings(300, 11, "W", until);
    let mut with_quotes = listings.clone();
    with_quotes[0].public_remarks = Some("A \"big\", bright\nkitchen".into());
    let bytes = write(&with_quotes).expect("write");
    let report = read(&bytes, &Mapping::default()).expect("read");
    assert_eq!(report.errors, []);
    assert_eq!(report.listings, with_quotes);
    assert_eq!(
        write(&[])
            .map(|b| String::from_utf8_lossy(&b).lines().count())
            .ok(),
        Some(1)
    );
}
