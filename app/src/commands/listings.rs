//! The listing cache: search (filters, sort), one listing, team notes and
//! tags, comparables, market stats. All offline, from the local cache.

use porchlight_store::doc::listing_shard::CachedListing;
use porchlight_store::listings::StandardStatus;
use porchlight_store::listings::comps::{Comps, MarketStats};
use porchlight_store::profile::{ListingQuery, ListingSort};
use serde::Deserialize;
use tauri::State;

use crate::error::{AppError, Result};
use crate::state::AppState;

/// The Listings view's filter bar.
#[derive(Debug, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct ListingFilter {
    #[ts(optional)]
    pub text: Option<String>,
    #[ts(optional)]
    pub min_price: Option<f64>,
    #[ts(optional)]
    pub max_price: Option<f64>,
    #[ts(optional, type = "number")]
    pub min_beds: Option<i64>,
    #[ts(optional)]
    pub min_baths: Option<f64>,
    #[ts(optional)]
    pub city: Option<String>,
    #[ts(optional)]
    pub postal_code: Option<String>,
    /// Either spelling ("Active Under Contract" or "ActiveUnderContract").
    #[ts(optional)]
    pub status: Option<String>,
    /// "relevance", "price", "-price" or "newest".
    #[ts(optional)]
    pub sort: Option<String>,
    #[ts(optional)]
    pub limit: Option<usize>,
}

fn blank(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

#[tauri::command(async)]
pub fn search_listings(
    state: State<'_, AppState>,
    filter: ListingFilter,
) -> Result<Vec<CachedListing>> {
    let status = match blank(filter.status) {
        Some(s) => Some(StandardStatus::parse(&s).ok_or_else(|| {
            AppError::Invalid(format!(
                "'{s}' is not a listing status; use e.g. Active, Pending, Closed"
            ))
        })?),
        None => None,
    };
    let sort = match filter.sort.as_deref().unwrap_or("relevance") {
        "relevance" => ListingSort::Relevance,
        "price" => ListingSort::PriceAsc,
        "-price" => ListingSort::PriceDesc,
        "newest" => ListingSort::Newest,
        other => return Err(AppError::Invalid(format!("cannot sort by '{other}'"))),
    };
    if let (Some(lo), Some(hi)) = (filter.min_price, filter.max_price)
        && lo > hi
    {
        return Err(AppError::Invalid(
            "the lowest price is above the highest".into(),
        ));
    }
    let query = ListingQuery {
        text: blank(filter.text),
        min_price: filter.min_price,
        max_price: filter.max_price,
        min_beds: filter.min_beds,
        min_baths: filter.min_baths,
        city: blank(filter.city),
        postal_code: blank(filter.postal_code),
        status,
        property_type: None,
        sort,
        limit: Some(filter.limit.unwrap_or(2000).min(10_000)),
    };
    Ok(state.profile()?.listings().search(&query)?)
}

#[tauri::command(async)]
pub fn get_listing(state: State<'_, AppState>, key: String) -> Result<CachedListing> {
    Ok(state.profile()?.listings().get(&key)?)
}

#[tauri::command(async)]
pub fn add_listing_note(
    state: State<'_, AppState>,
    key: String,
    text: String,
) -> Result<CachedListing> {
    Ok(state.profile()?.listings_mut().add_note(&key, &text)?)
}

#[tauri::command(async)]
pub fn tag_listing(
    state: State<'_, AppState>,
    key: String,
    tag: String,
    on: bool,
) -> Result<CachedListing> {
    Ok(state.profile()?.listings_mut().tag(&key, &tag, on)?)
}

#[tauri::command(async)]
pub fn listing_comps(state: State<'_, AppState>, key: String) -> Result<Comps> {
    Ok(state.profile()?.listings().comps(&key, 6)?.1)
}

/// Market statistics by "city" or "postal" over `months`.
#[tauri::command(async)]
pub fn market_stats(
    state: State<'_, AppState>,
    by: String,
    months: u32,
) -> Result<Vec<MarketStats>> {
    let by_postal = match by.as_str() {
        "city" => false,
        "postal" => true,
        other => {
            return Err(AppError::Invalid(format!(
                "group by city or postal, not '{other}'"
            )));
        }
    };
    Ok(state.profile()?.listings().stats(by_postal, months)?)
}
