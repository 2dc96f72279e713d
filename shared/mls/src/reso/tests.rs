use super::*;
use porchlight_model::StandardStatus;

#[test]
fn odata_pages_read_counts_as_strings_both_enum_styles_and_null_records() {
    let body = serde_json::json!({
        "@odata.context": "$metadata#Property",
        "@odata.count": "3",
        "@odata.nextLink": "http://x/odata/Property?$skip=3",
        "value": [
            { "ListingKey": "R1", "StandardStatus": "ActiveUnderContract", "ListPrice": 450000,
              "BedroomsTotal": 3, "ModificationTimestamp": "2026-11-20T10:00:00Z",
              "Media": [{ "MediaURL": "http://x/1.jpg", "Order": 1 }], "PoolPrivateYN": true },
            { "ListingKey": "R2", "StandardStatus": "Active Under Contract", "ListPrice": "615000" },
            { "ListingKey": "R3", "StandardStatus": null, "ListPrice": null, "City": null }
        ]
    });
    let page = parse_page("http://x", &body).expect("page");
    assert_eq!(page.total, Some(3));
    assert_eq!(
        page.next.as_deref(),
        Some("http://x/odata/Property?$skip=3")
    );
    let [a, b, c] = page.listings.as_slice() else {
        panic!("three listings")
    };
    assert_eq!(a.standard_status, Some(StandardStatus::ActiveUnderContract));
    assert_eq!(b.standard_status, Some(StandardStatus::ActiveUnderContract));
    assert_eq!(b.list_price, Some(615_000.0));
    assert_eq!(c.listing_key, "R3");
    assert_eq!(c.list_price, None);
    assert!(a.other["Media"].contains("1.jpg"));
    assert_eq!(a.other["PoolPrivateYN"], "true");
    let numeric = serde_json::json!({ "@odata.count": 7, "value": [] });
    assert_eq!(parse_page("u", &numeric).expect("page").total, Some(7));
    assert!(matches!(
        parse_page("u", &serde_json::json!({ "error": "x" })),
        Err(ResoError::NotOData { .. })
    ));
    // One unreadable record never stops the others: no key is skipped,
    // a value that does not read is kept as text; both are reported.
    let bad = serde_json::json!({ "value": [
        { "ListPrice": "call" },
        { "ListingKey": "R9", "ListPrice": "call", "StandardStatus": "Leased" },
        { "ListingKey": "R10", "ListPrice": 5 }
    ] });
    let page = parse_page("u", &bad).expect("page");
    assert_eq!(page.listings.len(), 2);
    assert_eq!(page.listings[0].other["ListPrice"], "call");
    assert_eq!(
        page.listings[0].standard_status,
        Some(StandardStatus::Closed)
    );
    assert_eq!(page.listings[0].other["MlsStatus"], "Leased");
    assert_eq!(page.problems.len(), 2, "{:?}", page.problems);
    assert!(page.problems[0].contains("record 0") && page.problems[0].contains("skipped"));
    assert!(page.problems[1].contains("R9") && page.problems[1].contains("ListPrice"));
}

#[test]
fn a_page_with_a_byte_that_is_not_utf8_names_its_record_and_a_cut_page_says_so() {
    let mut bytes =
        br#"{"value":[{"ListingKey":"A1","City":"Denver"},{"ListingKey":"B2","City":"N"#.to_vec();
    bytes.push(0xfa);
    bytes.extend_from_slice(br#"nez"}]}"#);
    let e = read_page("u", &bytes).expect_err("not utf-8");
    let text = e.to_string();
    assert!(text.contains("B2") && text.contains("UTF-8"), "{text}");
    let e = read_page("u", br#"{"value":[{"ListingKey":"A1"},{"Listi"#).expect_err("cut");
    assert!(e.to_string().contains("cut off"), "{e}");
}

#[test]
fn secrets_never_print() {
    let auth = ResoAuth::ClientCredentials {
        token_url: "http://t".into(),
        client_id: "id".into(),
        client_secret: "s3cret".into(),
        scope: None,
    };
    assert!(!format!("{auth:?}").contains("s3cret"));
    assert!(!format!("{:?}", ResoAuth::Bearer("tok3n".into())).contains("tok3n"));
}

fn client(select: &[&str], expand_media: bool) -> ResoClient {
    ResoClient::new(ResoConfig {
        base_url: "https://api.mls.example/odata/".into(),
        resource: "Property".into(),
        auth: ResoAuth::Bearer("t".into()),
        page_size: 50,
        expand_media,
        select: select.iter().map(|s| s.to_string()).collect(),
        net: Default::default(),
    })
    .expect("client")
}

/// The query options of a URL, decoded (`+` is not a space in OData).
fn options(url: &str) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(url).expect("a URL");
    let query = url.query().expect("a query");
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("name=value");
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .expect("UTF-8");
            (name.to_string(), value.into_owned())
        })
        .collect()
}

#[test]
fn query_urls_keep_option_names_and_encode_values_with_percent_twenty() {
    let c = client(&["ListPrice", "City"], true);
    let since = "2026-01-02T03:04:05.678Z".parse().expect("time");
    let url = c.window_url(Some(since), 100);
    assert!(
        url.starts_with("https://api.mls.example/odata/Property?$top=50&"),
        "{url}"
    );
    assert!(!url.contains('+') && !url.contains(' '), "{url}");
    assert!(
        url.contains("$filter=ModificationTimestamp%20ge%20"),
        "{url}"
    );
    assert_eq!(
        options(&url),
        [
            ("$top", "50"),
            ("$orderby", "ModificationTimestamp asc,ListingKey asc"),
            ("$count", "true"),
            (
                "$filter",
                "ModificationTimestamp ge 2026-01-02T03:04:05.678Z"
            ),
            ("$select", "ListingKey,ModificationTimestamp,ListPrice,City"),
            ("$expand", "Media"),
            ("$skip", "100"),
        ]
        .map(|(n, v)| (n.to_string(), v.to_string()))
    );
}

#[test]
fn a_listing_key_with_quotes_and_ampersands_stays_one_odata_string_literal() {
    let url = client(&[], false).listing_url("O'Neil&Sons #1+2");
    let filter = options(&url)
        .into_iter()
        .find(|(name, _)| name == "$filter")
        .expect("a filter");
    assert_eq!(filter.1, "ListingKey eq 'O''Neil&Sons #1+2'");
    assert!(!url.contains("$count"), "one listing is not paged: {url}");
}
