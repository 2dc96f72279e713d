//! The comparables method and the market statistics, on hand-made sales.

use chrono::TimeZone;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn sale(key: &str, price: f64, area: f64, beds: i64, lat: f64, closed: &str) -> Listing {
    Listing {
        listing_key: key.into(),
        standard_status: Some(StandardStatus::Closed),
        property_type: Some("Residential".into()),
        list_price: Some(price * 1.02),
        close_price: Some(price),
        living_area: Some(area),
        bedrooms_total: Some(beds),
        bathrooms_total_integer: Some(2.0),
        year_built: Some(1990),
        latitude: Some(lat),
        longitude: Some(-104.99),
        city: Some("Denver".into()),
        postal_code: Some("80202".into()),
        close_date: NaiveDate::parse_from_str(closed, "%Y-%m-%d").ok(),
        days_on_market: Some(20),
        ..Listing::default()
    }
}

fn subject() -> Listing {
    Listing {
        listing_key: "SUBJ".into(),
        standard_status: Some(StandardStatus::Active),
        property_type: Some("Residential".into()),
        list_price: Some(500_000.0),
        living_area: Some(2000.0),
        bedrooms_total: Some(3),
        bathrooms_total_integer: Some(2.0),
        year_built: Some(1990),
        latitude: Some(39.74),
        longitude: Some(-104.99),
        city: Some("Denver".into()),
        postal_code: Some("80202".into()),
        ..Listing::default()
    }
}

#[test]
fn the_closest_recent_sales_are_chosen_and_adjusted_by_size() {
    let candidates = vec![
        sale("NEAR", 500_000.0, 2000.0, 3, 39.741, "2026-10-01"),
        sale("BIGGER", 600_000.0, 2400.0, 3, 39.745, "2026-09-15"),
        sale("FAR", 300_000.0, 2000.0, 3, 40.2, "2026-10-01"),
        sale("OLD", 450_000.0, 2000.0, 3, 39.741, "2025-06-01"),
        Listing {
            standard_status: Some(StandardStatus::Active),
            ..sale("ACTIVE", 1.0, 2000.0, 3, 39.74, "2026-10-01")
        },
        Listing {
            property_type: Some("Condominium".into()),
            ..sale("CONDO", 480_000.0, 2000.0, 3, 39.74, "2026-10-01")
        },
        sale("SUBJ", 1.0, 2000.0, 3, 39.74, "2026-10-01"),
    ];
    let comps = comparables(&subject(), &candidates, now(), 2);
    let keys: Vec<&str> = comps
        .comparables
        .iter()
        .map(|c| c.listing.listing_key.as_str())
        .collect();
    assert_eq!(keys, ["NEAR", "BIGGER"]);
    // 600,000 for 2,400 sq ft is 250/sq ft: 500,000 for the subject's 2,000.
    assert!((comps.comparables[1].adjusted_price - 500_000.0).abs() < 1e-6);
    let value = comps.value.expect("a value");
    assert_eq!(value.estimate, 500_000.0);
    assert!(value.low <= value.estimate && value.estimate <= value.high);
    assert!(comps.comparables[0].distance_km.is_some_and(|d| d < 0.2));
    // Every candidate, with room for more: the far one comes last; the old
    // sale, the active listing, the condo and the subject never come.
    let all = comparables(&subject(), &candidates, now(), 10);
    let keys: Vec<&str> = all
        .comparables
        .iter()
        .map(|c| c.listing.listing_key.as_str())
        .collect();
    assert_eq!(keys, ["NEAR", "BIGGER", "FAR"]);
}

#[test]
fn without_coordinates_the_postal_code_or_city_places_a_sale() {
    let mut s = subject();
    s.latitude = None;
    let mut same_zip = sale("ZIP", 500_000.0, 2000.0, 3, 0.0, "2026-10-01");
    same_zip.latitude = None;
    let mut same_city = sale("CITY", 520_000.0, 2000.0, 3, 0.0, "2026-10-01");
    same_city.latitude = None;
    same_city.postal_code = Some("80205".into());
    let mut elsewhere = same_city.clone();
    elsewhere.listing_key = "ELSEWHERE".into();
    elsewhere.city = Some("Aurora".into());
    let comps = comparables(&s, &[elsewhere, same_city, same_zip], now(), 5);
    let keys: Vec<&str> = comps
        .comparables
        .iter()
        .map(|c| c.listing.listing_key.as_str())
        .collect();
    assert_eq!(keys, ["ZIP", "CITY"]);
    // Nothing comparable: no value, not a made-up one.
    assert_eq!(comparables(&s, &[], now(), 5).value, None);
}

#[test]
fn market_stats_take_medians_of_recent_sales_per_group() {
    let mut listings = vec![
        sale("S1", 400_000.0, 2000.0, 3, 39.7, "2026-10-01"),
        sale("S2", 500_000.0, 2000.0, 3, 39.7, "2026-09-01"),
        sale("S3", 900_000.0, 3000.0, 3, 39.7, "2026-08-01"),
        sale("OLD", 100_000.0, 1000.0, 3, 39.7, "2024-01-01"),
        subject(),
    ];
    let mut aurora = sale("A1", 300_000.0, 1500.0, 3, 39.7, "2026-11-01");
    aurora.city = Some("Aurora".into());
    listings.push(aurora);
    let stats = market_stats(&listings, |l| l.city.clone(), now(), 12);
    assert_eq!(stats.len(), 2);
    assert_eq!(stats[0].group, "Aurora");
    let denver = &stats[1];
    assert_eq!((denver.active, denver.sold), (1, 3));
    assert_eq!(denver.median_close_price, Some(500_000.0));
    assert_eq!(denver.median_price_per_sqft, Some(250.0));
    assert_eq!(denver.median_days_on_market, Some(20.0));
    assert_eq!(denver.median_list_price, Some(510_000.0));
    let by_zip = market_stats(&listings, |l| l.postal_code.clone(), now(), 1);
    assert_eq!(by_zip[0].sold, 1, "only A1 closed in the last month");
}
