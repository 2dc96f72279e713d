//! Comparable sales and an estimated value range, and market statistics.
//!
//! **Comparables** — the method, in the order it is applied:
//! 1. Candidates are listings that *closed* within the last 12 months, with a
//!    close price and a living area, of the subject's property type when
//!    both say one, and not the subject itself.
//! 2. Each gets a distance score (lower is more alike), the sum of:
//!    distance / 1 km (straight line from the coordinates; without them,
//!    0 in the same postal code, 1.5 in the same city, else the candidate is
//!    dropped) · |living-area difference| / 10 % of the subject's area ·
//!    |bedroom difference| · |bathroom difference| · |year-built
//!    difference| / 15 years · months since the sale / 4.
//! 3. The `count` lowest scores are the comparables.
//! 4. Each comparable's price is adjusted to the subject's size by price per
//!    square foot: close price / its area × the subject's area.
//! 5. The estimate is the mean of the adjusted prices weighted by
//!    1 / (1 + score); the range is that mean ± the weighted standard
//!    deviation, kept within the lowest and highest adjusted price.
//!
//! **Market stats** group listings by city or postal code: how many are
//! active, how many closed in the window, and the medians of list price,
//! close price, price per square foot (close price for sold listings) and
//! days on market of those sold.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

use super::model::{Listing, StandardStatus};

/// One comparable sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Comparable {
    pub listing: Listing,
    /// Straight-line distance, when both have coordinates.
    pub distance_km: Option<f64>,
    /// How unlike the subject it is (lower is closer).
    pub score: f64,
    /// Its close price adjusted to the subject's living area.
    pub adjusted_price: f64,
}

/// An estimated value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ValueRange {
    pub low: f64,
    pub estimate: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Comps {
    pub comparables: Vec<Comparable>,
    /// None when there are no comparables or the subject's area is unknown.
    pub value: Option<ValueRange>,
}

fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

fn months_between(earlier: NaiveDate, later: NaiveDate) -> f64 {
    (later - earlier).num_days() as f64 / 30.44
}

/// A closed listing's sale date within the window ending `now`.
fn sold_within(l: &Listing, now: DateTime<Utc>, months: u32) -> Option<NaiveDate> {
    let close = l.close_date?;
    let from = now.date_naive().checked_sub_months(Months::new(months))?;
    (l.standard_status == Some(StandardStatus::Closed)
        && close >= from
        && close <= now.date_naive())
    .then_some(close)
}

/// The comparables of `subject` among `candidates` (see the module docs).
/// It follows the module docs' five steps in order (candidates, score,
/// pick, adjust, weigh), so it stays one function.
pub fn comparables(
    subject: &Listing,
    candidates: &[Listing],
    now: DateTime<Utc>,
    count: usize,
) -> Comps {
    let here = subject.latitude.zip(subject.longitude);
    let area = subject.living_area.filter(|a| *a > 0.0);
    let mut scored: Vec<Comparable> = candidates
        .iter()
        .filter(|c| c.listing_key != subject.listing_key)
        .filter_map(|c| {
            let closed = sold_within(c, now, 12)?;
            let price = c.close_price?;
            let c_area = c.living_area.filter(|a| *a > 0.0)?;
            if let (Some(a), Some(b)) = (&subject.property_type, &c.property_type)
                && !a.eq_ignore_ascii_case(b)
            {
                return None;
            }
            let distance_km = here
                .zip(c.latitude.zip(c.longitude))
                .map(|(a, b)| haversine_km(a, b));
            let place = match distance_km {
                Some(d) => d,
                None if subject.postal_code.is_some() && subject.postal_code == c.postal_code => {
                    0.0
                }
                None if subject.city.is_some()
                    && subject.city.as_deref().map(str::to_lowercase)
                        == c.city.as_deref().map(str::to_lowercase) =>
                {
                    1.5
                }
                None => return None,
            };
            let diff = |a: Option<f64>, b: Option<f64>, unit: f64| {
                a.zip(b).map(|(a, b)| (a - b).abs() / unit).unwrap_or(0.0)
            };
            let score = place
                + area.map(|s| (s - c_area).abs() / (0.1 * s)).unwrap_or(0.0)
                + diff(
                    subject.bedrooms_total.map(|b| b as f64),
                    c.bedrooms_total.map(|b| b as f64),
                    1.0,
                )
                + diff(
                    subject.bathrooms_total_integer,
                    c.bathrooms_total_integer,
                    1.0,
                )
                + diff(
                    subject.year_built.map(|y| y as f64),
                    c.year_built.map(|y| y as f64),
                    15.0,
                )
                + months_between(closed, now.date_naive()) / 4.0;
            let adjusted_price = match area {
                Some(s) => price / c_area * s,
                None => price,
            };
            Some(Comparable {
                listing: c.clone(),
                distance_km,
                score,
                adjusted_price,
            })
        })
        .collect();
    scored.sort_by(|a, b| {
        a.score
            .total_cmp(&b.score)
            .then_with(|| a.listing.listing_key.cmp(&b.listing.listing_key))
    });
    scored.truncate(count);
    let value = (!scored.is_empty() && area.is_some()).then(|| {
        let weights: Vec<f64> = scored.iter().map(|c| 1.0 / (1.0 + c.score)).collect();
        let total: f64 = weights.iter().sum();
        let mean = scored
            .iter()
            .zip(&weights)
            .map(|(c, w)| c.adjusted_price * w)
            .sum::<f64>()
            / total;
        let var = scored
            .iter()
            .zip(&weights)
            .map(|(c, w)| w * (c.adjusted_price - mean).powi(2))
            .sum::<f64>()
            / total;
        let lo = scored
            .iter()
            .map(|c| c.adjusted_price)
            .fold(f64::INFINITY, f64::min);
        let hi = scored
            .iter()
            .map(|c| c.adjusted_price)
            .fold(f64::NEG_INFINITY, f64::max);
        let sd = var.sqrt();
        let round = |v: f64| (v / 1000.0).round() * 1000.0;
        ValueRange {
            low: round((mean - sd).max(lo)),
            estimate: round(mean),
            high: round((mean + sd).min(hi)),
        }
    });
    Comps {
        comparables: scored,
        value,
    }
}

/// Market statistics of one city or postal code.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MarketStats {
    pub group: String,
    pub active: usize,
    pub sold: usize,
    pub median_list_price: Option<f64>,
    pub median_close_price: Option<f64>,
    pub median_price_per_sqft: Option<f64>,
    pub median_days_on_market: Option<f64>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 0 {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// Statistics per group (`group` picks a listing's city or postal code)
/// over listings active now or closed in the last `months` months. Groups
/// are sorted by name.
pub fn market_stats(
    listings: &[Listing],
    group: impl Fn(&Listing) -> Option<String>,
    now: DateTime<Utc>,
    months: u32,
) -> Vec<MarketStats> {
    let mut groups: std::collections::BTreeMap<String, (usize, Vec<&Listing>)> = Default::default();
    for l in listings {
        let Some(g) = group(l).filter(|g| !g.trim().is_empty()) else {
            continue;
        };
        let entry = groups.entry(g).or_default();
        if l.standard_status == Some(StandardStatus::Active) {
            entry.0 += 1;
        }
        if sold_within(l, now, months).is_some() {
            entry.1.push(l);
        }
    }
    groups
        .into_iter()
        .map(|(g, (active, sold))| MarketStats {
            group: g,
            active,
            sold: sold.len(),
            median_list_price: median(sold.iter().filter_map(|l| l.list_price).collect()),
            median_close_price: median(sold.iter().filter_map(|l| l.close_price).collect()),
            median_price_per_sqft: median(sold.iter().filter_map(|l| l.price_per_sqft()).collect()),
            median_days_on_market: median(
                sold.iter()
                    .filter_map(|l| l.days_on_market.map(|d| d as f64))
                    .collect(),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests;
