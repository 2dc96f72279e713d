//! Realistic synthetic listings at any count, for benchmarks, the demo and
//! the fake MLS servers: a metro area of cities with their own price
//! levels, sizes that drive prices, a status mix with close prices and
//! dates for sold ones, coordinates around each city. Seeded, so the same
//! seed gives the same listings on every machine.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use porchlight_model::listing::{Listing, StandardStatus};

/// (city, postal code prefix, latitude, longitude, price per sq ft).
const CITIES: [(&str, &str, f64, f64, f64); 10] = [
    ("Denver", "802", 39.7392, -104.9903, 390.0),
    ("Aurora", "800", 39.7294, -104.8319, 260.0),
    ("Lakewood", "802", 39.7047, -105.0814, 330.0),
    ("Boulder", "803", 40.0150, -105.2705, 560.0),
    ("Golden", "804", 39.7555, -105.2211, 440.0),
    ("Littleton", "801", 39.6133, -105.0166, 340.0),
    ("Arvada", "800", 39.8028, -105.0875, 320.0),
    ("Westminster", "800", 39.8367, -105.0372, 300.0),
    ("Englewood", "801", 39.6478, -104.9878, 350.0),
    ("Parker", "801", 39.5186, -104.7614, 310.0),
];
const STREETS: [&str; 12] = [
    "Oak St",
    "Elm Ave",
    "Pine Ct",
    "Maple Dr",
    "Cedar Ln",
    "Aspen Way",
    "Birch Rd",
    "Spruce St",
    "Willow Ave",
    "Juniper Ct",
    "Cherry Creek Dr",
    "Colfax Ave",
];
const TYPES: [&str; 4] = ["Residential", "Residential", "Residential", "Condominium"];
const FEATURES: [&str; 12] = [
    "hardwood floors",
    "a renovated kitchen",
    "mountain views",
    "a finished basement",
    "a big fenced yard",
    "vaulted ceilings",
    "a two-car garage",
    "new windows",
    "a south-facing deck",
    "quartz counters",
    "a walk-in pantry",
    "a main-floor primary suite",
];

/// `count` listings with keys `{prefix}{n}`, modified over the year
/// before `until`.
pub fn listings(count: usize, seed: u64, prefix: &str, until: DateTime<Utc>) -> Vec<Listing> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|n| one(&mut rng, n, prefix, until))
        .collect()
}

fn one(rng: &mut StdRng, n: usize, prefix: &str, until: DateTime<Utc>) -> Listing {
    let (city, zip, lat, lon, per_sqft) = CITIES[rng.random_range(0..CITIES.len())];
    let beds: i64 = rng.random_range(1..=6);
    let baths = f64::from(rng.random_range(2..=(beds as u32 * 2 + 1))) / 2.0;
    let area = (450.0 + beds as f64 * 420.0 * rng.random_range(0.75..1.3)).round();
    let year = rng.random_range(1900..=2025);
    let age_factor = if year > 2010 {
        1.12
    } else if year < 1950 {
        0.92
    } else {
        1.0
    };
    let list =
        (area * per_sqft * age_factor * rng.random_range(0.85..1.2) / 1000.0).round() * 1000.0;
    let modified = until - Duration::minutes(rng.random_range(0..525_600));
    let status = match rng.random_range(0..100) {
        0..45 => StandardStatus::Active,
        45..55 => StandardStatus::ActiveUnderContract,
        55..65 => StandardStatus::Pending,
        65..90 => StandardStatus::Closed,
        90..95 => StandardStatus::Expired,
        _ => StandardStatus::Withdrawn,
    };
    let dom = rng.random_range(0..120);
    let listed: NaiveDate = (modified - Duration::days(dom)).date_naive();
    let sold = status == StandardStatus::Closed;
    let street = STREETS[rng.random_range(0..STREETS.len())];
    let (f1, f2) = (
        FEATURES[rng.random_range(0..FEATURES.len())],
        FEATURES[rng.random_range(0..FEATURES.len())],
    );
    let mut l = Listing {
        listing_key: format!("{prefix}{n}"),
        listing_id: Some(format!("{}{}", &prefix.to_uppercase(), 100_000 + n)),
        standard_status: Some(status),
        property_type: Some(TYPES[rng.random_range(0..TYPES.len())].into()),
        list_price: Some(list),
        close_price: sold.then(|| (list * rng.random_range(0.94..1.06) / 500.0).round() * 500.0),
        bedrooms_total: Some(beds),
        bathrooms_total_integer: Some(baths),
        living_area: Some(area),
        year_built: Some(year),
        unparsed_address: Some(format!("{} {street}", rng.random_range(10..9999))),
        city: Some(city.into()),
        state_or_province: Some("CO".into()),
        postal_code: Some(format!("{zip}{:02}", rng.random_range(1..40))),
        latitude: Some(((lat + rng.random_range(-0.06..0.06)) * 1e5).round() / 1e5),
        longitude: Some(((lon + rng.random_range(-0.07..0.07)) * 1e5).round() / 1e5),
        listing_contract_date: Some(listed),
        close_date: sold.then(|| modified.date_naive()),
        days_on_market: Some(dom),
        modification_timestamp: Some(
            Utc.timestamp_opt(modified.timestamp(), 0)
                .single()
                .unwrap_or(modified),
        ),
        public_remarks: Some(format!(
            "{beds}-bedroom {} in {city} with {f1} and {f2}.",
            if year > 2010 { "newer build" } else { "home" }
        )),
        ..Listing::default()
    };
    l.other.insert(
        "ListAgentFullName".into(),
        format!("Agent {}", rng.random_range(1..400)),
    );
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_realistic_listings() {
        let until = Utc
            .with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let a = listings(500, 7, "S", until);
        assert_eq!(a, listings(500, 7, "S", until));
        assert_ne!(a, listings(500, 8, "S", until));
        for l in &a {
            // Every listing reads back through the CSV/feeds path unchanged.
            let json = serde_json::to_value(l).expect("json");
            assert_eq!(serde_json::from_value::<Listing>(json).expect("back"), *l);
            assert!(
                l.list_price
                    .is_some_and(|p| (50_000.0..5_000_000.0).contains(&p)),
                "{l:?}"
            );
            assert!(l.modification_timestamp.is_some_and(|m| m <= until));
            let sold = l.standard_status == Some(StandardStatus::Closed);
            assert_eq!(sold, l.close_price.is_some());
            assert_eq!(sold, l.close_date.is_some());
        }
        let closed = a.iter().filter(|l| l.close_price.is_some()).count();
        assert!((75..=175).contains(&closed), "{closed} of 500 sold");
        // Bigger homes cost more, on average.
        let avg = |f: &dyn Fn(&&Listing) -> bool| {
            let v: Vec<f64> = a.iter().filter(f).filter_map(|l| l.list_price).collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(avg(&|l| l.bedrooms_total >= Some(5)) > avg(&|l| l.bedrooms_total <= Some(2)));
    }
}
