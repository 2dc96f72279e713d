//! The comparables report: one self-contained HTML page (inline styles, no
//! scripts, no network) that reads on screen and prints cleanly to PDF —
//! the subject, the estimated value range, the comparable sales with their
//! adjusted prices, and the method.

use chrono::{DateTime, Utc};

use super::comps::Comps;
use super::model::Listing;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn money(v: Option<f64>) -> String {
    let Some(v) = v else { return "—".into() };
    let whole = v.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}${grouped}", if whole < 0 { "-" } else { "" })
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
}

fn address(l: &Listing) -> String {
    let parts: Vec<&str> = [
        l.unparsed_address.as_deref(),
        l.city.as_deref(),
        l.postal_code.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        l.listing_key.clone()
    } else {
        parts.join(", ")
    }
}

const STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1a1a1a;margin:2rem auto;max-width:52rem;padding:0 1rem}\
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}\
.muted{color:#555}.range{display:flex;gap:1.5rem;margin:1rem 0;padding:1rem;border:1px solid #bbb;border-radius:6px}\
.range div{flex:1}.range b{display:block;font-size:1.3rem}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd}\
th{font-weight:600;border-bottom:2px solid #999}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
@media print{body{margin:0;max-width:none;font-size:11pt}.range{break-inside:avoid}tr{break-inside:avoid}a{color:inherit}}\
@page{margin:18mm}";

/// The report for `subject` and its comparables, as of `at`.
pub fn comps_html(subject: &Listing, comps: &Comps, at: DateTime<Utc>, team: &str) -> String {
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str(&format!(
        "<title>Comparables — {}</title><style>{STYLE}</style></head><body>\n",
        esc(&address(subject))
    ));
    h.push_str(&format!("<h1>{}</h1>\n", esc(&address(subject))));
    h.push_str(&format!(
        "<p class=\"muted\">MLS {} · {} · {} bd · {} ba · {} sq ft · built {} · listed at {}</p>\n",
        esc(subject
            .listing_id
            .as_deref()
            .unwrap_or(&subject.listing_key)),
        esc(subject.property_type.as_deref().unwrap_or("—")),
        opt(subject.bedrooms_total),
        opt(subject.bathrooms_total_integer),
        subject
            .living_area
            .map(|a| format!("{a:.0}"))
            .unwrap_or_else(|| "—".into()),
        opt(subject.year_built),
        money(subject.list_price),
    ));
    h.push_str("<h2>Estimated value</h2>\n");
    match &comps.value {
        Some(v) => h.push_str(&format!(
            "<div class=\"range\"><div>Low<b>{}</b></div><div>Estimate<b>{}</b></div><div>High<b>{}</b></div></div>\n",
            money(Some(v.low)),
            money(Some(v.estimate)),
            money(Some(v.high))
        )),
        None => h.push_str(
            "<p>No estimate: the subject has no living area, or there are no comparable sales.</p>\n",
        ),
    }
    h.push_str(&format!(
        "<h2>Comparable sales ({})</h2>\n",
        comps.comparables.len()
    ));
    if comps.comparables.is_empty() {
        h.push_str("<p>No closed sale in the last 12 months is comparable.</p>\n");
    } else {
        h.push_str("<table><thead><tr><th>Address</th><th class=\"n\">Closed</th><th class=\"n\">Price</th><th class=\"n\">Sq ft</th><th class=\"n\">Bd/Ba</th><th class=\"n\">Distance</th><th class=\"n\">Adjusted</th></tr></thead><tbody>\n");
        for c in &comps.comparables {
            let l = &c.listing;
            h.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}/{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                esc(&address(l)),
                opt(l.close_date),
                money(l.close_price),
                l.living_area.map(|a| format!("{a:.0}")).unwrap_or_else(|| "—".into()),
                opt(l.bedrooms_total),
                opt(l.bathrooms_total_integer),
                c.distance_km.map(|d| format!("{d:.1} km")).unwrap_or_else(|| "—".into()),
                money(Some(c.adjusted_price)),
            ));
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("<h2>Method</h2>\n<p>Sales that closed in the last 12 months, of the same property type, are scored by straight-line distance, difference in living area, bedrooms, bathrooms and age, and how long ago they sold; the lowest scores are the comparables. Each sale price is adjusted to the subject's size by its price per square foot. The estimate is the mean of the adjusted prices weighted by closeness, and the range is that mean plus or minus the weighted standard deviation, kept within the lowest and highest adjusted price.</p>\n");
    h.push_str(&format!(
        "<p class=\"muted\">Prepared {} by {} with Porchlight from the team's offline listing cache.</p>\n</body></html>\n",
        at.format("%Y-%m-%d"),
        esc(team)
    ));
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listings::comps::{Comparable, ValueRange};

    #[test]
    fn the_report_has_the_range_each_comparable_and_escapes_text() {
        let subject = Listing {
            listing_key: "S1".into(),
            unparsed_address: Some("12 <Elm> & Oak".into()),
            city: Some("Denver".into()),
            living_area: Some(1500.0),
            list_price: Some(450_000.0),
            ..Listing::default()
        };
        let comp = Comparable {
            listing: Listing {
                listing_key: "C1".into(),
                unparsed_address: Some("9 Pine St".into()),
                close_price: Some(1_234_567.0),
                living_area: Some(1400.0),
                ..Listing::default()
            },
            distance_km: Some(0.84),
            score: 1.0,
            adjusted_price: 440_100.4,
        };
        let comps = Comps {
            comparables: vec![comp],
            value: Some(ValueRange {
                low: 430_000.0,
                estimate: 440_100.0,
                high: 452_000.0,
            }),
        };
        let html = comps_html(&subject, &comps, Utc::now(), "Maria");
        assert!(html.contains("12 &lt;Elm&gt; &amp; Oak, Denver"), "escaped");
        assert!(!html.contains("<Elm>"));
        assert!(html.contains("<b>$440,100</b>"));
        assert!(
            html.contains("$1,234,567") && html.contains("0.8 km") && html.contains("$440,100")
        );
        assert!(html.contains("@media print"));
        assert!(!html.contains("<script"), "no scripts");
        let none = comps_html(
            &subject,
            &Comps {
                comparables: vec![],
                value: None,
            },
            Utc::now(),
            "M",
        );
        assert!(none.contains("No estimate") && none.contains("No closed sale"));
        assert_eq!(money(Some(-1500.0)), "-$1,500");
        assert_eq!(money(Some(999.0)), "$999");
    }
}
