//! Fetching photos: RETS GetObject, RESO Media links a few at a time,
//! during a pull, each failure counted on its own.

use std::path::Path;

use serde::Serialize;

use crate::rets::client::RetsClient;
use porchlight_model::Listing;

use super::*;

pub(crate) async fn download(
    http: &porchlight_net::Http,
    url: &str,
) -> Result<Vec<u8>, PhotoError> {
    let fail = |reason: String, status: Option<u16>| PhotoError::Fetch {
        url: url.to_string(),
        reason,
        status,
    };
    // Photos carry no credentials, so the open client (CDN redirects
    // followed) fetches them.
    let resp = http
        .open
        .get(url)
        .send()
        .await
        .map_err(|e| fail(porchlight_net::describe(&e, url), None))?;
    let status = resp.status().as_u16();
    if !resp.status().is_success() {
        let why = if refuses_link(status) {
            " (the link may have expired)"
        } else {
            ""
        };
        return Err(fail(format!("HTTP {status}{why}"), Some(status)));
    }
    porchlight_net::read_capped(resp, porchlight_net::caps::photo(), "a photo", "")
        .await
        .map_err(|e| fail(e.to_string(), None))
}

/// The answers a photo host gives to a link that expired or was used up.
pub(crate) fn refuses_link(status: u16) -> bool {
    matches!(status, 401 | 403 | 404 | 410)
}

/// `&amp;` and friends in a URL taken from XML (RETS `Location` headers
/// copied from the metadata often keep them).
pub(crate) fn unescape_xml(url: &str) -> String {
    url.trim()
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
}

/// Collects photos one by one: a photo that cannot be fetched (404, an
/// expired link) or read (an unsupported format) is skipped with a note,
/// never the whole set; only when nothing could be cached and something
/// failed is the first failure the answer. A disk error is always the
/// answer.
#[derive(Debug, Default)]
pub(crate) struct Collect {
    photos: Vec<CachedPhoto>,
    errors: Vec<(u32, PhotoError)>,
}

impl Collect {
    pub(crate) fn push(&mut self, number: u32, got: Result<CachedPhoto, PhotoError>) {
        match got {
            Ok(p) => self.photos.push(p),
            Err(e) => self.errors.push((number, e)),
        }
    }

    /// The photos whose host refused the link (expired, used up).
    pub(crate) fn refused(&self) -> Vec<u32> {
        self.errors
            .iter()
            .filter(
                |(_, e)| matches!(e, PhotoError::Fetch { status: Some(s), .. } if refuses_link(*s)),
            )
            .map(|(n, _)| *n)
            .collect()
    }

    /// Forgets what happened to `numbers` (they are fetched again).
    pub(crate) fn again(&mut self, numbers: &[u32]) {
        self.errors.retain(|(n, _)| !numbers.contains(n));
        self.photos.retain(|p| !numbers.contains(&p.number));
    }

    /// The photos cached. When the whole set came, `mark` is kept as the
    /// set's mark; any photo no longer in the set is removed.
    pub(crate) fn finish(
        mut self,
        cache: &PhotoCache,
        source: &str,
        key: &str,
        mark: Option<&str>,
    ) -> Result<Vec<CachedPhoto>, PhotoError> {
        if let Some(i) = self
            .errors
            .iter()
            .position(|(_, e)| matches!(e, PhotoError::Io { .. }))
        {
            return Err(self.errors.swap_remove(i).1);
        }
        for (number, e) in &self.errors {
            tracing::warn!("photo {number} of {key} skipped: {e}");
        }
        self.photos.sort_by_key(|p| p.number);
        if self.photos.is_empty() {
            if !self.errors.is_empty() {
                return Err(self.errors.swap_remove(0).1);
            }
            cache.mark_none(source, key)?;
        } else {
            let numbers: Vec<u32> = self.photos.iter().map(|p| p.number).collect();
            cache.keep_only(source, key, &numbers)?;
            if !self.errors.is_empty() {
                tracing::warn!(
                    "{key}: {} photo(s) cached, {} skipped",
                    self.photos.len(),
                    self.errors.len()
                );
            }
        }
        if let (Some(mark), true) = (mark, self.errors.is_empty()) {
            cache.set_mark(source, key, mark)?;
        }
        Ok(self.photos)
    }
}

/// Fetches a listing's photos over RETS (`GetObject`), caching each; a
/// part that says 20403 is skipped, a `Location` part is downloaded. The
/// client must be logged in. `mark` is the set's [`photo_mark`].
pub async fn fetch_rets(
    client: &mut RetsClient,
    cache: &PhotoCache,
    source: &str,
    key: &str,
    mark: Option<&str>,
) -> Result<Vec<CachedPhoto>, PhotoError> {
    collect_rets(client, cache, source, key)
        .await?
        .finish(cache, source, key, mark)
}

/// [`fetch_rets`] up to the point where the photos are counted.
pub(crate) async fn collect_rets(
    client: &mut RetsClient,
    cache: &PhotoCache,
    source: &str,
    key: &str,
) -> Result<Collect, PhotoError> {
    let parts = client
        .get_object("Photo", &format!("{key}:*"), false)
        .await?;
    let http = client.http().clone();
    let mut got = Collect::default();
    for (i, part) in parts.into_iter().take(MAX_PHOTOS).enumerate() {
        let number = part.object_id.unwrap_or(i as u32 + 1);
        if part.is_missing() {
            continue;
        }
        let bytes = match (&part.location, &part.error) {
            (Some(url), _) => match download(&http, &unescape_xml(url)).await {
                Ok(b) => b,
                Err(e) => {
                    got.push(number, Err(e));
                    continue;
                }
            },
            (None, Some((code, text))) => {
                tracing::warn!("photo {number} of {key}: RETS {code} {text}");
                continue;
            }
            (None, None) => part.data,
        };
        got.push(number, cache.store(source, key, number, &bytes));
    }
    Ok(got)
}

/// Downloads `urls` (photo n is `urls[n-1]`) for the given numbers, a few
/// at a time, storing each in order as it comes.
pub(crate) async fn fetch_urls(
    http: &porchlight_net::Http,
    cache: &PhotoCache,
    (source, key): (&str, &str),
    urls: &[String],
    numbers: &[u32],
    got: &mut Collect,
) {
    let wanted: Vec<(u32, String)> = numbers
        .iter()
        .filter_map(|&n| {
            let url = urls.get(n.checked_sub(1)? as usize)?;
            Some((n, unescape_xml(url)))
        })
        .collect();
    for batch in wanted.chunks(PARALLEL_DOWNLOADS) {
        let fetched =
            futures_util::future::join_all(batch.iter().map(|(_, url)| download(http, url))).await;
        for ((number, _), bytes) in batch.iter().zip(fetched) {
            let number = *number;
            got.push(
                number,
                bytes.and_then(|bytes| cache.store(source, key, number, &bytes)),
            );
        }
    }
}

/// Photos downloaded at once for one listing.
pub(crate) const PARALLEL_DOWNLOADS: usize = 4;

pub(crate) fn all(urls: &[String]) -> Vec<u32> {
    (1..=urls.len() as u32).collect()
}

/// Fetches a RESO listing's photos from its `Media` URLs, caching each.
pub async fn fetch_media(
    cache: &PhotoCache,
    listing: &PhotoTarget,
    ca_file: Option<&Path>,
) -> Result<Vec<CachedPhoto>, PhotoError> {
    let http = http_for(ca_file)?;
    let urls = media_urls(listing);
    let mut got = Collect::default();
    let at = (listing.source.as_str(), listing.key.as_str());
    fetch_urls(&http, cache, at, &urls, &all(&urls), &mut got).await;
    let mark = listing.listing.as_ref().and_then(photo_mark);
    got.finish(cache, at.0, at.1, mark.as_deref())
}

pub(crate) fn http_for(ca_file: Option<&Path>) -> Result<porchlight_net::Http, PhotoError> {
    porchlight_net::Http::get(ca_file).map_err(|e| PhotoError::Fetch {
        url: String::new(),
        reason: e.to_string(),
        status: None,
    })
}

/// What fetching photos during a pull did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PhotoTally {
    /// Listings whose photos were fetched (new or changed sets).
    pub listings: usize,
    pub photos: usize,
    /// Photos that could not be fetched or read (each is a problem in the
    /// report; the next pull tries them again).
    pub skipped: usize,
}

/// Fetches, during a RESO pull, the photos of the page's listings whose
/// set is new or changed (the links are fresh now). A photo that fails is
/// a problem in words, never the end of the pull; a disk error is.
pub async fn pull_media(
    http: &porchlight_net::Http,
    cache: &PhotoCache,
    source: &str,
    listings: &[Listing],
    tally: &mut PhotoTally,
    problems: &mut Vec<String>,
) -> Result<(), PhotoError> {
    for l in listings {
        if !l.other.contains_key("Media") || !due(cache, source, l)? {
            continue;
        }
        let urls = listing_media_urls(l);
        let mut got = Collect::default();
        fetch_urls(
            http,
            cache,
            (source, &l.listing_key),
            &urls,
            &all(&urls),
            &mut got,
        )
        .await;
        settle(got, cache, source, l, tally, problems)?;
    }
    Ok(())
}

/// Counts and keeps one listing's photos fetched during a pull: each that
/// failed becomes a problem in words; only a disk error is an error.
pub(crate) fn settle(
    got: Collect,
    cache: &PhotoCache,
    source: &str,
    listing: &Listing,
    tally: &mut PhotoTally,
    problems: &mut Vec<String>,
) -> Result<(), PhotoError> {
    let failed: Vec<String> = got
        .errors
        .iter()
        .filter(|(_, e)| !matches!(e, PhotoError::Io { .. }))
        .map(|(n, e)| format!("{}: photo {n} skipped: {e}", listing.listing_key))
        .collect();
    let mark = photo_mark(listing);
    match got.finish(cache, source, &listing.listing_key, mark.as_deref()) {
        Ok(photos) => tally.photos += photos.len(),
        Err(e @ PhotoError::Io { .. }) => return Err(e),
        Err(_) => {}
    }
    tally.listings += 1;
    tally.skipped += failed.len();
    problems.extend(failed);
    Ok(())
}

/// Whether a pull should fetch `listing`'s photos: never fetched, or the
/// set changed since (by [`photo_mark`]).
pub fn due(cache: &PhotoCache, source: &str, listing: &Listing) -> Result<bool, PhotoError> {
    Ok(match photo_mark(listing) {
        Some(mark) => cache.mark(source, &listing.listing_key).as_deref() != Some(mark.as_str()),
        None => cache.photos(source, &listing.listing_key)?.is_none(),
    })
}
