//! COMPACT replies as servers send them, tidy and not.

use super::*;
use crate::rets::ReplyError;

#[test]
fn a_tidy_reply_with_tabs_count_and_maxrows() {
    let body = "<RETS ReplyCode=\"0\" ReplyText=\"Operation Successful\">\r\n\
<COUNT Records=\"1234\" />\r\n\
<DELIMITER value=\"09\"/>\r\n\
<COLUMNS>\tListingKey\tListPrice\tCity\t</COLUMNS>\r\n\
<DATA>\tK1\t450000\tDenver\t</DATA>\r\n\
<DATA>\tK2\t615000\tAurora\t</DATA>\r\n\
<MAXROWS/>\r\n</RETS>\r\n";
    let r = parse(body.as_bytes()).expect("reply");
    assert_eq!(r.count, Some(1234));
    assert_eq!(r.columns, ["ListingKey", "ListPrice", "City"]);
    assert_eq!(
        r.rows,
        [["K1", "450000", "Denver"], ["K2", "615000", "Aurora"]]
    );
    assert!(r.max_rows);
    let first: Vec<(&str, &str)> = r.records().next().expect("a record");
    assert_eq!(first[2], ("City", "Denver"));
}

#[test]
fn other_delimiters_missing_edges_and_spaces_around_equals() {
    // A pipe delimiter (7C), no leading/trailing delimiters, no MAXROWS.
    let body = "<RETS ReplyCode = '0' ReplyText = 'OK'><DELIMITER value = \"7C\" />\n\
<COLUMNS>ListingKey|City</COLUMNS>\n<DATA>K1|Golden</DATA>\n<DATA>|K2|Vail|</DATA>\n</RETS>";
    let r = parse(body.as_bytes()).expect("reply");
    assert_eq!(r.rows, [["K1", "Golden"], ["K2", "Vail"]]);
    assert!(!r.max_rows);
    // No DELIMITER tag: tab.
    let body = "<RETS ReplyCode=\"0\"><COLUMNS>\tA\tB\t</COLUMNS><DATA>\t1\t2\t</DATA></RETS>";
    assert_eq!(parse(body.as_bytes()).expect("reply").rows, [["1", "2"]]);
}

#[test]
fn no_records_is_not_an_error_but_other_codes_are() {
    let r = parse(b"<RETS ReplyCode=\"20201\" ReplyText=\"No Records Found\"/>").expect("reply");
    assert_eq!((r.reply_code, r.rows.len()), (20201, 0));
    let e = parse(b"<RETS ReplyCode=\"20203\" ReplyText=\"Miscellaneous search error\"/>")
        .expect_err("error");
    assert_eq!(
        e.to_string(),
        "the RETS server answered 20203: Miscellaneous search error"
    );
}

#[test]
fn an_error_reply_shows_its_body_text_with_the_code() {
    // The reason is often in the body, not the ReplyText.
    let e = parse(
        b"<RETS ReplyCode=\"20203\" ReplyText=\"Miscellaneous search error\">\r\n\
          Query field 'LP' is not valid for class RE_1 &amp; cannot be searched.\r\n</RETS>",
    )
    .expect_err("error");
    assert_eq!(
        e.to_string(),
        "the RETS server answered 20203: Miscellaneous search error (Query field 'LP' is not valid for class RE_1 & cannot be searched.)"
    );
    // A RETS-STATUS element inside, and no ReplyText on the outer tag.
    let e = parse(
        b"<RETS ReplyCode=\"20206\"><RETS-STATUS ReplyCode=\"20206\" ReplyText=\"Invalid query syntax near (ST=\"/></RETS>",
    )
    .expect_err("error");
    assert_eq!(
        e.to_string(),
        "the RETS server answered 20206: Invalid query syntax near (ST="
    );
    // The same text twice is said once.
    let e = parse(b"<RETS ReplyCode=\"20036\" ReplyText=\"Missing data\">Missing data</RETS>")
        .expect_err("error");
    assert_eq!(
        e.to_string(),
        "the RETS server answered 20036: Missing data"
    );
}

#[test]
fn bad_xml_survives_and_html_is_named() {
    // An invalid character reference, a raw control byte, Latin-1 bytes and
    // a stray ampersand.
    let body = b"<RETS ReplyCode=\"0\"><COLUMNS>\tListingKey\tPublicRemarks\t</COLUMNS>\
<DATA>\tK1\tBad &#1; ref, ctl \x07 byte, Ca\xf1on &amp; more & stuff &#x263A;\t</DATA></RETS>";
    let r = parse(body).expect("reply");
    assert_eq!(
        r.rows[0][1],
        "Bad \u{fffd} ref, ctl  byte, Cañon & more & stuff ☺"
    );
    let e = parse(b"<!DOCTYPE html><html><body>Please log in</body></html>").expect_err("html");
    assert!(e.to_string().contains("HTML page"), "{e}");
    assert!(matches!(parse(b"garbage"), Err(ReplyError::NotRets(_))));
    assert!(matches!(
        parse(b"<RETS><DATA>x</DATA></RETS>"),
        Err(ReplyError::NotRets(_))
    ));
    assert_eq!(
        parse(b"<RETS ReplyCode=\"0\"><DATA>\tx\t</DATA></RETS>"),
        Err(ReplyError::NoColumns)
    );
}

#[test]
fn rows_that_do_not_fit_are_reported_not_dropped_silently() {
    let body = "<RETS ReplyCode=\"0\"><COLUMNS>\tA\tB\t</COLUMNS>\
<DATA>\t1\t2\t</DATA><DATA>\t1\t2\t3\t</DATA><DATA>\tunclosed\tline\n</RETS>";
    let r = parse(body.as_bytes()).expect("reply");
    assert_eq!(r.rows, [["1", "2"], ["unclosed", "line"]]);
    assert_eq!(
        r.bad_rows,
        ["data line 2: 3 fields where the columns are 2"]
    );
    assert_eq!(
        r.bad_lines,
        [(2, vec!["1".to_string(), "2".into(), "3".into()])]
    );
}

#[test]
fn a_reply_cut_mid_row_mid_value_or_before_its_end_is_refused_whole() {
    let whole = "<RETS ReplyCode=\"0\"><COUNT Records=\"3\"/><DELIMITER value=\"09\"/>\n<COLUMNS>\tK\tCITY\t</COLUMNS>\n<DATA>\tA1\tDenver\t</DATA>\n<DATA>\tA2\tBoulder\t</DATA>\n<DATA>\tA3\tGolden\t</DATA>\n</RETS>\n";
    assert_eq!(parse(whole.as_bytes()).expect("whole").rows.len(), 3);
    for cut in [
        whole.find("Bould").expect("mid-value") + 3,
        whole.find("<DATA>\tA3").expect("mid-row") + 8,
        whole.find("</RETS>").expect("end"),
        whole.find("<DATA>").expect("before rows"),
    ] {
        let e = parse(&whole.as_bytes()[..cut]).expect_err("cut");
        assert!(
            matches!(e, ReplyError::Truncated { .. }),
            "cut at {cut}: {e:?}"
        );
        assert!(e.to_string().contains("nothing of this page"), "{e}");
    }
}

#[test]
fn a_multibyte_character_after_an_ampersand_does_not_split() {
    // Found by reading the code for the fuzz target: a byte-index slice here
    // would cut "é" in half.
    let body =
        "<RETS ReplyCode=\"0\"><COLUMNS>\tA\t</COLUMNS><DATA>\t&abcdefghijé;x\t</DATA></RETS>";
    let r = parse(body.as_bytes()).expect("reply");
    assert_eq!(r.rows, [["&abcdefghijé;x"]]);
}

mod never_panics {
    use proptest::prelude::*;

    const REPLY: &str = "<RETS ReplyCode=\"0\" ReplyText=\"OK\"><COUNT Records=\"2\"/><DELIMITER value=\"09\"/>\
<COLUMNS>\tListingKey\tCity\t</COLUMNS><DATA>\tK1\tCa&#241;on &amp; co\t</DATA><MAXROWS/></RETS>";

    proptest! {
        #[test]
        fn on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = super::super::parse(&bytes);
        }

        #[test]
        fn on_a_reply_with_bytes_changed(edits in proptest::collection::vec((0usize..400, any::<u8>()), 1..12)) {
            let mut bytes = REPLY.as_bytes().to_vec();
            for (at, b) in edits {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            if let Ok(r) = super::super::parse(&bytes) {
                prop_assert!(r.rows.iter().all(|row| row.len() == r.columns.len()));
            }
        }
    }
}

#[test]
fn a_declared_charset_is_honoured_but_latin1_declarations_read_per_sequence() {
    // ISO-8859-2: 0xB3 is "ł", 0xE6 is "ć".
    let mut body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-2\"?>\n<RETS ReplyCode=\"0\"><COLUMNS>\tK\tCITY\t</COLUMNS><DATA>\tA1\t".to_vec();
    body.extend(b"\xb3\xf3d\xbc Bia\xb3ystok ");
    body.extend(b"\t</DATA></RETS>");
    let r = parse(&body).expect("reply");
    assert_eq!(r.rows[0][1], "łódź Białystok");
    // Declared ISO-8859-1 but sent as UTF-8 with one stray Latin-1 byte:
    // the UTF-8 stays UTF-8.
    let mut body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<RETS ReplyCode=\"0\"><COLUMNS>\tK\tNAME\t</COLUMNS><DATA>\tA1\t".to_vec();
    body.extend("Núñez".as_bytes());
    body.extend(b" caf\xe9\t</DATA></RETS>");
    let r = parse(&body).expect("reply");
    assert_eq!(r.rows[0][1], "Núñez café");
}
