//! Which photos a listing has: its RESO `Media` links, the mark of its
//! photo set, and whether a signed link has expired.

use sha2::{Digest, Sha256};

use porchlight_model::Listing;

use super::*;

/// A mark of a listing's photo set that stays the same while the photos
/// do, even when the MLS signs its links afresh on every pull: the RESO
/// `Media` records' keys (or links without their query) and change times,
/// else `PhotosCount` and `PhotosChangeTimestamp`. `None` when the
/// listing says nothing about its photos.
pub fn photo_mark(listing: &Listing) -> Option<String> {
    let mut hash = Sha256::new();
    if let Some(media) = listing.other.get("Media") {
        hash.update(b"media");
        if let Ok(serde_json::Value::Array(items)) = serde_json::from_str(media) {
            for m in photo_media(&items) {
                let text = |k: &str| m.get(k).and_then(|v| v.as_str()).unwrap_or_default();
                let link = text("MediaURL");
                let id = match text("MediaKey") {
                    "" => link.split('?').next().unwrap_or_default(),
                    k => k,
                };
                for part in [id, text("MediaModificationTimestamp")] {
                    hash.update(part.as_bytes());
                    hash.update([0]);
                }
            }
        }
    } else {
        let count = listing.other.get("PhotosCount");
        let changed = listing.other.get("PhotosChangeTimestamp");
        if count.is_none() && changed.is_none() {
            return None;
        }
        hash.update(b"count");
        for part in [count, changed] {
            hash.update(part.map(String::as_bytes).unwrap_or_default());
            hash.update([0]);
        }
    }
    let digest = hash.finalize();
    Some(hex::encode(&digest[..8]))
}

/// Whether a signed link says it has expired by `now`: CloudFront and
/// Akamai `Expires=<unix seconds>`, S3 `X-Amz-Date` + `X-Amz-Expires`,
/// Azure `se=<time>`. A link that says nothing is taken as good.
pub fn link_expired(url: &str, now: chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::{DateTime, NaiveDateTime, Utc};
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let mut amz_date = None;
    let mut amz_expires = None;
    for (k, v) in url.query_pairs() {
        match k.to_ascii_lowercase().as_str() {
            "expires" => {
                if let Some(at) = v
                    .parse::<i64>()
                    .ok()
                    .and_then(|s| DateTime::from_timestamp(s, 0))
                {
                    return at <= now;
                }
            }
            "se" => {
                if let Ok(at) = DateTime::parse_from_rfc3339(&v) {
                    return at.with_timezone(&Utc) <= now;
                }
            }
            "x-amz-date" => {
                amz_date = NaiveDateTime::parse_from_str(&v, "%Y%m%dT%H%M%SZ")
                    .ok()
                    .map(|d| d.and_utc())
            }
            "x-amz-expires" => amz_expires = v.parse::<i64>().ok(),
            _ => {}
        }
    }
    match (amz_date, amz_expires) {
        (Some(signed), Some(secs)) => signed + chrono::Duration::seconds(secs) <= now,
        _ => false,
    }
}

/// The `Media` records that are photos, in `Order`.
pub(crate) fn photo_media(items: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    let mut photos: Vec<(i64, &serde_json::Value)> = items
        .iter()
        .filter(|m| {
            m.get("MediaCategory")
                .and_then(|c| c.as_str())
                .is_none_or(|c| c.eq_ignore_ascii_case("photo"))
        })
        .filter(|m| m.get("MediaURL").and_then(|u| u.as_str()).is_some())
        .map(|m| {
            let order = m.get("Order").and_then(|o| o.as_i64()).unwrap_or(i64::MAX);
            (order, m)
        })
        .collect();
    photos.sort_by_key(|(order, _)| *order);
    photos
        .into_iter()
        .map(|(_, m)| m)
        .take(MAX_PHOTOS)
        .collect()
}

/// The photo URLs of a RESO listing's `Media` (photos only, in `Order`).
pub fn listing_media_urls(listing: &Listing) -> Vec<String> {
    let Some(media) = listing.other.get("Media") else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(media) else {
        return Vec::new();
    };
    photo_media(&items)
        .into_iter()
        .filter_map(|m| Some(m.get("MediaURL")?.as_str()?.to_string()))
        .collect()
}

/// [`listing_media_urls`] of a cached listing.
pub fn media_urls(listing: &PhotoTarget) -> Vec<String> {
    listing
        .listing
        .as_ref()
        .map(listing_media_urls)
        .unwrap_or_default()
}
