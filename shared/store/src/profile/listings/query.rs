//! Questions answered from the materialized `listings` table and its FTS
//! index: search, comparables, market statistics.

use super::*;

/// How search results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListingSort {
    /// Best text match first (newest first without text).
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    /// Most recently modified at the MLS first.
    Newest,
}

/// A listing search. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct ListingQuery {
    pub text: Option<String>,
    pub min_price: Option<f64>,
    pub max_price: Option<f64>,
    pub min_beds: Option<i64>,
    pub min_baths: Option<f64>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub status: Option<StandardStatus>,
    pub property_type: Option<String>,
    pub sort: ListingSort,
    pub limit: Option<usize>,
}

impl Profile {
    /// Cached MLS records matching an SQL condition on the `listings` table,
    /// by source and key.
    fn mls_records(&self, condition: &str, args: &[&dyn ToSql]) -> Result<Vec<Listing>> {
        let sql = format!(
            "SELECT json FROM listings WHERE in_mls = 1 AND ({condition}) ORDER BY source, listing_key"
        );
        let mut stmt = self.store().conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(args, |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for json in rows {
            let cached: CachedListing = decode_row(&json?, "listing")?;
            out.extend(cached.mls);
        }
        Ok(out)
    }
}

impl Listings<'_> {
    /// Every cached listing the MLS still has, by source and key.
    pub fn all(&self) -> Result<Vec<Listing>> {
        self.p.mls_records("1 = 1", &[])
    }

    /// Comparable sales of a cached listing and its estimated value range
    /// (the method is documented in [`crate::listings::comps`]).
    pub fn comps(&self, key: &str, count: usize) -> Result<(CachedListing, Comps)> {
        let subject = self.get(key)?;
        let Some(mls) = subject.mls.clone() else {
            return Err(CoreError::UnknownListing(format!(
                "{key} (the MLS no longer returns it, so there is nothing to compare)"
            )));
        };
        let since = (self.p.now().date_naive() - chrono::Duration::days(370)).to_string();
        // Recent sales nearby: the same city or postal code, or within about
        // 15 km of the subject's coordinates.
        let (lat, lon) = (
            mls.latitude.unwrap_or(1000.0),
            mls.longitude.unwrap_or(1000.0),
        );
        let candidates = self.p.mls_records(
            "status = 'Closed' AND close_date >= ?1 AND (city = ?2 COLLATE NOCASE OR postal_code = ?3
             OR (latitude BETWEEN ?4 - 0.15 AND ?4 + 0.15 AND longitude BETWEEN ?5 - 0.2 AND ?5 + 0.2))",
            &[&since, &mls.city, &mls.postal_code, &lat, &lon],
        )?;
        let comps = comparables(&mls, &candidates, self.p.now(), count.clamp(1, 50));
        Ok((subject, comps))
    }

    /// Market statistics by city or postal code over the last `months`.
    pub fn stats(&self, by_postal_code: bool, months: u32) -> Result<Vec<MarketStats>> {
        let months = months.clamp(1, 120);
        let since = self
            .p
            .now()
            .date_naive()
            .checked_sub_months(chrono::Months::new(months))
            .unwrap_or_default()
            .to_string();
        let records = self.p.mls_records(
            "status = 'Active' OR (status = 'Closed' AND close_date >= ?1)",
            &[&since],
        )?;
        Ok(market_stats(
            &records,
            |l| {
                if by_postal_code {
                    l.postal_code.clone()
                } else {
                    l.city.clone()
                }
            },
            self.p.now(),
            months,
        ))
    }

    /// Listings the MLS still has that match `query`.
    pub fn search(&self, query: &ListingQuery) -> Result<Vec<CachedListing>> {
        let mut sql = String::from("SELECT l.json FROM listings l");
        let mut clauses = vec!["l.in_mls = 1".to_string()];
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        let mut order = " ORDER BY l.modified DESC, l.listing_key".to_string();
        if let Some(text) = query.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let Some(mut fts) = crate::store::query::fts_query(text) else {
                return Ok(vec![]);
            };
            // With a city too, let FTS intersect the two posting lists
            // (the city column is indexed there) instead of looking up every
            // listing the words match; the exact filter below still applies.
            if let Some(city) = query.city.as_deref() {
                let words: Vec<String> = city
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                    .collect();
                if !words.is_empty() {
                    fts = format!("{fts} AND city : ({})", words.join(" "));
                }
            }
            sql.push_str(" JOIN listings_fts f ON f.rowid = l.id");
            clauses.push("listings_fts MATCH ?".into());
            args.push(Box::new(fts));
            if query.sort == ListingSort::Relevance {
                order = " ORDER BY bm25(listings_fts, 4.0, 2.0, 1.0, 1.0), l.listing_key".into();
            }
        }
        let mut filter = |clause: &str, value: Box<dyn ToSql>| {
            clauses.push(clause.to_string());
            args.push(value);
        };
        if let Some(v) = query.min_price {
            filter("l.list_price >= ?", Box::new(v));
        }
        if let Some(v) = query.max_price {
            filter("l.list_price <= ?", Box::new(v));
        }
        if let Some(v) = query.min_beds {
            filter("l.beds >= ?", Box::new(v));
        }
        if let Some(v) = query.min_baths {
            filter("l.baths >= ?", Box::new(v));
        }
        if let Some(v) = &query.city {
            filter("l.city = ? COLLATE NOCASE", Box::new(v.trim().to_string()));
        }
        if let Some(v) = &query.postal_code {
            filter("l.postal_code = ?", Box::new(v.trim().to_string()));
        }
        if let Some(v) = query.status {
            filter("l.status = ?", Box::new(v.as_str()));
        }
        if let Some(v) = &query.property_type {
            filter(
                "l.property_type = ? COLLATE NOCASE",
                Box::new(v.trim().to_string()),
            );
        }
        match query.sort {
            ListingSort::PriceAsc => {
                order = " ORDER BY l.list_price IS NULL, l.list_price, l.listing_key".into()
            }
            ListingSort::PriceDesc => {
                order = " ORDER BY l.list_price IS NULL, l.list_price DESC, l.listing_key".into()
            }
            ListingSort::Newest => order = " ORDER BY l.modified DESC, l.listing_key".into(),
            ListingSort::Relevance => {}
        }
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
        sql.push_str(&order);
        sql.push_str(&format!(" LIMIT {}", query.limit.unwrap_or(50).min(10_000)));
        let mut stmt = self.p.store().conn().prepare_cached(&sql)?;
        let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = stmt.query_map(params.as_slice(), |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for json in rows {
            out.push(decode_row(&json?, "listing")?);
        }
        Ok(out)
    }
}
