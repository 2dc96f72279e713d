use super::*;

fn client() -> RetsClient {
    let mut c = RetsClient::new(RetsConfig {
        login_url: "https://rets.mls.example/rets/login".into(),
        username: "u".into(),
        password: "p".into(),
        user_agent: "Porchlight/1.0".into(),
        ua_password: None,
        version: "RETS/1.7.2".into(),
        resource: "Property".into(),
        class: "RES".into(),
        page_size: 50,
        net: Default::default(),
        fields: Default::default(),
    })
    .expect("client");
    c.capabilities.insert(
        "Search".into(),
        Url::parse("https://rets.mls.example/rets/search?session=a%20b").expect("url"),
    );
    c
}

#[test]
fn transaction_urls_keep_the_servers_own_query_and_encode_every_value() {
    let c = client();
    let url = c
        .url(
            "Search",
            &[
                ("Query", "(ListPrice=0+),(Status=|A,P)"),
                ("Select", "ListingKey, City&State"),
            ],
        )
        .expect("url");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("session", "a b"),
            ("Query", "(ListPrice=0+),(Status=|A,P)"),
            ("Select", "ListingKey, City&State"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert!(
        url.as_str()
            .starts_with("https://rets.mls.example/rets/search?session=a%20b&")
    );
}

#[test]
fn a_capability_the_server_did_not_offer_is_named_in_the_error() {
    let e = client().url("GetObject", &[]).expect_err("not offered");
    assert!(matches!(e, RetsError::NoCapability("GetObject")), "{e}");
}
