//! Reading the values MLS feeds send: prices with currency signs and
//! thousands separators, numbers, dates in the usual US and ISO forms,
//! timestamps with or without a zone, and text in Latin-1 or Windows-1252
//! as well as UTF-8. Each reader says what it could not read, in words.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Bytes as text, sequence by sequence: valid UTF-8 stays UTF-8 and only
/// the bytes that are not UTF-8 are read as Windows-1252 (a superset of
/// Latin-1 for printable text, and what "Latin-1" feeds usually send). So
/// one stray Latin-1 byte on a page of UTF-8 does not turn the page's
/// "Núñez" into "NÃºÃ±ez".
pub fn decode_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // The prefix was just checked, so this cannot fail.
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len()).max(1);
                out.push_str(
                    &encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(&bad[..n])
                        .0,
                );
                rest = &bad[n..];
            }
        }
    }
}

/// Bytes in a declared character set (`charset=` of a Content-Type, or an
/// XML declaration's `encoding`): that encoding when it is one Porchlight
/// knows and not UTF-8, else [`decode_text`].
pub fn decode_declared(bytes: &[u8], charset: Option<&str>) -> String {
    let label = charset.map(str::trim).unwrap_or("");
    match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(enc) if enc != encoding_rs::UTF_8 => {
            enc.decode_without_bom_handling(bytes).0.into_owned()
        }
        _ => decode_text(bytes),
    }
}

/// The `encoding="…"` of an XML declaration at the start of `bytes`.
pub fn xml_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head);
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.to_ascii_lowercase().find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// A number as feeds write it: "450000", "$450,000.00", " 3.5 ", "1,234".
pub fn number(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let cleaned: String = t
        .chars()
        .filter(|c| !matches!(c, '$' | ',' | ' ' | '€' | '£'))
        .collect();
    match cleaned.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(format!("'{t}' is not a number")),
    }
}

/// A whole number ("3", "3.0"; not "3.5").
pub fn whole(text: &str) -> Result<i64, String> {
    let n = number(text)?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(format!("'{}' is not a whole number", text.trim()));
    }
    Ok(n as i64)
}

/// A date: 2026-11-02, 11/02/2026, 11/2/26, or the date part of a timestamp.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    // chrono's %Y takes "26" as the year 26: pick the form by the digits.
    let short_year = t.rsplit('/').next().is_some_and(|y| y.len() == 2);
    let us = if short_year { "%m/%d/%y" } else { "%m/%d/%Y" };
    for format in ["%Y-%m-%d", us, "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, format) {
            return Ok(d);
        }
    }
    if let Ok(at) = timestamp(t) {
        return Ok(at.date_naive());
    }
    Err(format!(
        "'{t}' is not a date (use 2026-11-02 or 11/02/2026)"
    ))
}

/// An instant: RFC 3339 ("2026-11-02T14:03:00Z", "...-07:00"), or a zoneless
/// "2026-11-02T14:03:00" / "2026-11-02 14:03:00[.123]", taken as UTC (RESO
/// timestamps are UTC unless they say otherwise).
pub fn timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(naive.and_utc());
        }
    }
    Err(format!(
        "'{t}' is not a timestamp (use 2026-11-02T14:03:00Z)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_latin1_byte_on_a_utf8_page_spoils_only_itself() {
        let mut page = "Núñez|".as_bytes().to_vec();
        page.extend_from_slice(b"Pe\xf1a|caf\xe9");
        assert_eq!(decode_text(&page), "Núñez|Peña|café");
        assert_eq!(decode_text(b"\x93quoted\x94"), "\u{201c}quoted\u{201d}");
        assert_eq!(decode_text("plain ütf-8".as_bytes()), "plain ütf-8");
        // A UTF-8 sequence cut at the end of the bytes.
        assert_eq!(decode_text(b"ab\xc3"), "abÃ");
    }

    #[test]
    fn a_declared_charset_is_honoured() {
        assert_eq!(decode_declared(b"Pe\xf1a", Some("ISO-8859-1")), "Peña");
        assert_eq!(decode_declared("Peña".as_bytes(), Some("utf-8")), "Peña");
        assert_eq!(decode_declared(b"Pe\xf1a", None), "Peña");
        assert_eq!(
            xml_encoding(b"<?xml version=\"1.0\" encoding=\"windows-1252\" ?>\n<RETS>").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(xml_encoding(b"<RETS ReplyCode=\"0\">"), None);
    }

    #[test]
    fn text_in_any_of_the_three_encodings_reads() {
        assert_eq!(decode_text("Café ünd 🏠".as_bytes()), "Café ünd 🏠");
        // Latin-1 "Café", Windows-1252 curly quotes and a euro sign.
        assert_eq!(decode_text(b"Caf\xe9"), "Café");
        assert_eq!(decode_text(b"\x93Great\x94 \x80 50"), "“Great” € 50");
    }

    #[test]
    fn numbers_as_feeds_write_them() {
        assert_eq!(number("450000"), Ok(450_000.0));
        assert_eq!(number(" $1,250,000.50 "), Ok(1_250_000.5));
        assert_eq!(number("3.5"), Ok(3.5));
        assert!(number("").is_err());
        assert!(
            number("call agent")
                .expect_err("not a number")
                .contains("call agent")
        );
        assert!(number("NaN").is_err() && number("inf").is_err());
        assert_eq!(whole("3"), Ok(3));
        assert_eq!(whole("3.0"), Ok(3));
        assert!(whole("3.5").is_err());
    }

    #[test]
    fn dates_and_timestamps_in_the_usual_forms() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 2);
        assert_eq!(date("2026-11-02").ok(), d);
        assert_eq!(date("11/02/2026").ok(), d);
        assert_eq!(date("11/2/26").ok(), d);
        assert_eq!(date("2026-11-02T23:30:00Z").ok(), d);
        assert!(
            date("02.11.2026")
                .expect_err("not a date")
                .contains("02.11.2026")
        );
        let at = |t| timestamp(t).map(|d| d.to_rfc3339());
        assert_eq!(
            at("2026-11-02T14:03:00Z"),
            Ok("2026-11-02T14:03:00+00:00".into())
        );
        assert_eq!(
            at("2026-11-02T07:03:00-07:00"),
            Ok("2026-11-02T14:03:00+00:00".into())
        );
        assert_eq!(
            at("2026-11-02 14:03:00.250"),
            Ok("2026-11-02T14:03:00.250+00:00".into())
        );
        assert_eq!(
            at("2026-11-02T14:03"),
            Ok("2026-11-02T14:03:00+00:00".into())
        );
        assert!(at("yesterday").is_err());
    }
}
