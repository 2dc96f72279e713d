//! Listing photos, fetched on demand and kept on disk with a thumbnail
//! each, so a listing opened once online shows its photos offline.
//!
//! Layout: `<profile>/photos/<source>/<key>/<n>.<ext>` and
//! `…/<key>/thumb/<n>.jpg` (at most 320×240); a file `none` records that
//! the MLS has no photos for the listing. Each file is written to a
//! temporary name and renamed, so a crash leaves whole photos or none.
//!
//! Where photos come from: RETS `GetObject Type=Photo ID=KEY:*` (with
//! `Location` parts fetched by URL), or the RESO `Media` records that came
//! with the listing (`$expand=Media`; their `MediaURL`s are fetched
//! directly, so a teammate without MLS credentials can fetch them too).

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rets::client::{RetsClient, RetsError};
use porchlight_model::Listing;

/// The longest side of a thumbnail box.
pub const THUMB_WIDTH: u32 = 320;
pub const THUMB_HEIGHT: u32 = 240;
/// Photos fetched for one listing at most.
pub const MAX_PHOTOS: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("cannot write the photo cache at {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("photo {number} of {key} is not a picture Porchlight can read ({reason})")]
    NotAnImage {
        key: String,
        number: u32,
        reason: String,
    },
    #[error(transparent)]
    Rets(#[from] RetsError),
    #[error("cannot fetch {url}: {reason}")]
    Fetch {
        url: String,
        reason: String,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
    },
    #[error("{key} has no photos cached and no way to fetch them: {why}")]
    NoSource { key: String, why: String },
}

/// One cached photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CachedPhoto {
    pub number: u32,
    pub path: PathBuf,
    pub thumbnail: PathBuf,
    pub bytes: u64,
}

/// The photo cache of one profile.
#[derive(Debug, Clone)]
pub struct PhotoCache {
    root: PathBuf,
}

fn io(path: &Path, e: impl std::fmt::Display) -> PhotoError {
    PhotoError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// A file or directory name for any key: safe characters kept, anything
/// else replaced, and a short hash so two keys never share a name.
fn safe_name(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let hash = Sha256::digest(text.as_bytes());
    format!("{clean}-{}", hex::encode(&hash[..4]))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PhotoError> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

/// A JPEG thumbnail that fits the thumbnail box.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
    let small = img.thumbnail(THUMB_WIDTH, THUMB_HEIGHT);
    let rgb = image::DynamicImage::ImageRgb8(small.to_rgb8());
    let mut out = Vec::new();
    rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut out, 80,
    ))
    .map_err(|e| e.to_string())?;
    Ok(out)
}

impl PhotoCache {
    /// The cache of the profile in `profile_dir`.
    pub fn new(profile_dir: &Path) -> Self {
        PhotoCache {
            root: profile_dir.join("photos"),
        }
    }

    fn dir(&self, source: &str, key: &str) -> PathBuf {
        self.root.join(safe_name(source)).join(safe_name(key))
    }

    /// Stores photo `number` and its thumbnail.
    pub fn store(
        &self,
        source: &str,
        key: &str,
        number: u32,
        bytes: &[u8],
    ) -> Result<CachedPhoto, PhotoError> {
        let thumb = thumbnail(bytes).map_err(|reason| PhotoError::NotAnImage {
            key: key.to_string(),
            number,
            reason,
        })?;
        let dir = self.dir(source, key);
        let thumbs = dir.join("thumb");
        std::fs::create_dir_all(&thumbs).map_err(|e| io(&thumbs, e))?;
        let ext = match image::guess_format(bytes) {
            Ok(image::ImageFormat::Png) => "png",
            Ok(image::ImageFormat::Gif) => "gif",
            Ok(image::ImageFormat::WebP) => "webp",
            _ => "jpg",
        };
        let path = dir.join(format!("{number}.{ext}"));
        let thumbnail = thumbs.join(format!("{number}.jpg"));
        // The thumbnail last: a photo counts as cached once it has one.
        write_atomic(&path, bytes)?;
        write_atomic(&thumbnail, &thumb)?;
        let _ = std::fs::remove_file(dir.join("none"));
        Ok(CachedPhoto {
            number,
            path,
            thumbnail,
            bytes: bytes.len() as u64,
        })
    }

    /// Records that the MLS has no photos for the listing.
    pub fn mark_none(&self, source: &str, key: &str) -> Result<(), PhotoError> {
        let dir = self.dir(source, key);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        write_atomic(&dir.join("none"), b"")
    }

    /// The cached photos in order; `None` when they were never fetched,
    /// an empty list when the MLS has none.
    pub fn photos(&self, source: &str, key: &str) -> Result<Option<Vec<CachedPhoto>>, PhotoError> {
        let dir = self.dir(source, key);
        if dir.join("none").exists() {
            return Ok(Some(Vec::new()));
        }
        let thumbs = dir.join("thumb");
        let entries = match std::fs::read_dir(&thumbs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&thumbs, e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(number) = name
                .strip_suffix(".jpg")
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Some(path) = ["jpg", "png", "gif", "webp"]
                .iter()
                .map(|ext| dir.join(format!("{number}.{ext}")))
                .find(|p| p.exists())
            else {
                continue;
            };
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            out.push(CachedPhoto {
                number,
                path,
                thumbnail: entry.path(),
                bytes,
            });
        }
        out.sort_by_key(|p| p.number);
        Ok((!out.is_empty()).then_some(out))
    }

    /// Bytes on disk.
    pub fn size(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            std::fs::read_dir(p)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| match e.file_type() {
                            Ok(t) if t.is_dir() => walk(&e.path()),
                            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&self.root)
    }
}

impl PhotoCache {
    /// The mark of the photo set last fetched whole for a listing (see
    /// [`photo_mark`]).
    pub fn mark(&self, source: &str, key: &str) -> Option<String> {
        std::fs::read_to_string(self.dir(source, key).join("mark"))
            .ok()
            .map(|m| m.trim().to_string())
    }

    fn set_mark(&self, source: &str, key: &str, mark: &str) -> Result<(), PhotoError> {
        let dir = self.dir(source, key);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        write_atomic(&dir.join("mark"), mark.as_bytes())
    }

    /// Removes every cached photo of the listing whose number is not in
    /// `numbers` (a set that shrank, a photo the MLS no longer has).
    fn keep_only(&self, source: &str, key: &str, numbers: &[u32]) -> Result<(), PhotoError> {
        let Some(cached) = self.photos(source, key)? else {
            return Ok(());
        };
        for p in cached.iter().filter(|p| !numbers.contains(&p.number)) {
            // The thumbnail first: a photo without one is not listed.
            std::fs::remove_file(&p.thumbnail).map_err(|e| io(&p.thumbnail, e))?;
            std::fs::remove_file(&p.path).map_err(|e| io(&p.path, e))?;
        }
        Ok(())
    }
}

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

async fn download(http: &porchlight_net::Http, url: &str) -> Result<Vec<u8>, PhotoError> {
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
fn refuses_link(status: u16) -> bool {
    matches!(status, 401 | 403 | 404 | 410)
}

/// `&amp;` and friends in a URL taken from XML (RETS `Location` headers
/// copied from the metadata often keep them).
fn unescape_xml(url: &str) -> String {
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
    fn push(&mut self, number: u32, got: Result<CachedPhoto, PhotoError>) {
        match got {
            Ok(p) => self.photos.push(p),
            Err(e) => self.errors.push((number, e)),
        }
    }

    /// The photos whose host refused the link (expired, used up).
    fn refused(&self) -> Vec<u32> {
        self.errors
            .iter()
            .filter(
                |(_, e)| matches!(e, PhotoError::Fetch { status: Some(s), .. } if refuses_link(*s)),
            )
            .map(|(n, _)| *n)
            .collect()
    }

    /// Forgets what happened to `numbers` (they are fetched again).
    fn again(&mut self, numbers: &[u32]) {
        self.errors.retain(|(n, _)| !numbers.contains(n));
        self.photos.retain(|p| !numbers.contains(&p.number));
    }

    /// The photos cached. When the whole set came, `mark` is kept as the
    /// set's mark; any photo no longer in the set is removed.
    fn finish(
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

/// The `Media` records that are photos, in `Order`.
fn photo_media(items: &[serde_json::Value]) -> Vec<&serde_json::Value> {
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

/// Downloads `urls` (photo n is `urls[n-1]`) for the given numbers, a few
/// at a time, storing each in order as it comes.
async fn fetch_urls(
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
const PARALLEL_DOWNLOADS: usize = 4;

fn all(urls: &[String]) -> Vec<u32> {
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

fn http_for(ca_file: Option<&Path>) -> Result<porchlight_net::Http, PhotoError> {
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

/// The listing whose photos are wanted, as the cache has it: its source
/// and key, and the MLS record when the cache holds one.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoTarget {
    pub source: String,
    pub key: String,
    pub listing: Option<Listing>,
}

/// How to fetch one listing's photos, gathered beforehand (the listing,
/// its MLS connection and the connection's secrets) so that the network
/// part runs without holding the cache.
#[derive(Debug)]
pub struct PhotoJob {
    listing: PhotoTarget,
    how: How,
}

#[derive(Debug)]
enum How {
    Rets(Box<crate::rets::client::RetsConfig>),
    Media {
        ca_file: Option<PathBuf>,
        /// The RESO connection, when this device has it: asked for fresh
        /// links when the stored ones have expired.
        refresh: Option<Box<(crate::reso::ResoConfig, Option<String>)>>,
    },
    Nothing(String),
}

/// What a photo job brought back: the photos, and the listing as the MLS
/// sent it again when its links had to be renewed (keep it with
/// [`Fetched::keep`], so the cache — and teammates — get the new links).
#[derive(Debug)]
pub struct Fetched {
    pub photos: Vec<CachedPhoto>,
    pub renewed: Option<Listing>,
    source: String,
    /// The RESO connection's use of its vendor limits, when it was asked.
    usage: Option<String>,
}

impl Fetched {
    /// Saves the renewed listing and the connection's use of its limits;
    /// returns the photos.
    pub fn keep(
        self,
        cache: &mut dyn crate::sink::ListingSink,
    ) -> Result<Vec<CachedPhoto>, crate::sink::SinkError> {
        if let Some(listing) = &self.renewed {
            cache.import(&self.source, std::slice::from_ref(listing))?;
        }
        if let Some(usage) = &self.usage {
            cache.set_usage(&self.source, usage)?;
        }
        Ok(self.photos)
    }
}

impl PhotoJob {
    /// Looks up `key` and how its photos can be fetched: RETS GetObject
    /// when this device has the RETS connection and its password, else the
    /// listing's RESO `Media` URLs (renewed through the RESO connection
    /// when this device has it and they have expired).
    ///
    /// `connection` is this device's connection to the listing's MLS, if
    /// it has one, and `usage` what that connection has used of its vendor
    /// limits.
    pub fn prepare(
        listing: PhotoTarget,
        connection: Option<&crate::sources::MlsSource>,
        usage: Option<String>,
        secrets: &porchlight_secrets::Secrets,
    ) -> PhotoJob {
        let has_media = !media_urls(&listing).is_empty();
        let how = match connection.cloned().ok_or(()) {
            Ok(source) if source.rets.is_some() => {
                let password = secrets.get(&source.secret_name()).ok().flatten();
                let ua = secrets.get(&source.ua_secret_name()).ok().flatten();
                match password
                    .and_then(|p| crate::rets::client::RetsConfig::from_source(&source, p, ua))
                {
                    Some(config) => How::Rets(Box::new(config)),
                    None => How::Nothing(format!(
                        "the password of the RETS connection '{}' is not on this device; run `porchlight mls add-rets` again",
                        source.name
                    )),
                }
            }
            Ok(source) if !has_media && !source.expand_media => How::Nothing(format!(
                "the RESO connection '{}' does not ask for Media; add it again with --media and pull",
                source.name
            )),
            // With Media links (or a listing pulled with Media but none).
            Ok(source) => {
                let refresh = match secrets.get(&source.secret_name()).ok().flatten() {
                    Some(secret) if source.expand_media => Some(Box::new((
                        crate::reso::ResoConfig::from_source(&source, secret),
                        usage,
                    ))),
                    _ => None,
                };
                How::Media {
                    ca_file: source.net.ca_file,
                    refresh,
                }
            }
            Err(_) if has_media => How::Media {
                ca_file: None,
                refresh: None,
            },
            Err(_) => How::Nothing(format!(
                "this device has no connection to the MLS '{}' (a teammate with MLS access can fetch them on theirs)",
                listing.source
            )),
        };
        PhotoJob { listing, how }
    }

    pub fn listing(&self) -> &PhotoTarget {
        &self.listing
    }

    /// Fetches and caches the photos (over the network).
    pub async fn run(self, cache: &PhotoCache) -> Result<Fetched, PhotoError> {
        let source = self.listing.source.clone();
        let done = |photos| Fetched {
            photos,
            renewed: None,
            source: source.clone(),
            usage: None,
        };
        match self.how {
            How::Media {
                ca_file,
                refresh: None,
            } => Ok(done(
                fetch_media(cache, &self.listing, ca_file.as_deref()).await?,
            )),
            How::Media {
                ca_file,
                refresh: Some(refresh),
            } => {
                let (config, usage) = *refresh;
                let mut client =
                    crate::reso::ResoClient::new(config).map_err(|e| PhotoError::Fetch {
                        url: String::new(),
                        reason: e.to_string(),
                        status: None,
                    })?;
                client.governor.load(usage.as_deref());
                let http = http_for(ca_file.as_deref())?;
                let mut renew = Renew {
                    client,
                    asked: false,
                };
                let (photos, renewed) = renewing(&http, cache, &self.listing, &mut renew).await?;
                Ok(Fetched {
                    photos,
                    renewed,
                    source: source.clone(),
                    usage: renew.asked.then(|| renew.client.governor.save()),
                })
            }
            How::Rets(config) => {
                let mut client = RetsClient::new(*config)?;
                client.login().await?;
                let mark = self.listing.listing.as_ref().and_then(photo_mark);
                let result = fetch_rets(
                    &mut client,
                    cache,
                    &self.listing.source,
                    &self.listing.key,
                    mark.as_deref(),
                )
                .await;
                client.logout().await;
                Ok(done(result?))
            }
            How::Nothing(why) => Err(PhotoError::NoSource {
                key: self.listing.key,
                why,
            }),
        }
    }
}

/// Asks the RESO server, once, for the listing as it is now.
struct Renew {
    client: crate::reso::ResoClient,
    asked: bool,
}

impl Renew {
    async fn listing(&mut self, key: &str) -> Option<Listing> {
        if self.asked {
            return None;
        }
        self.asked = true;
        match self.client.fetch_listing(key).await {
            Ok(Some(l)) => Some(l),
            Ok(None) => {
                tracing::warn!("the MLS no longer has {key}; its stored photo links were used");
                None
            }
            Err(e) => {
                tracing::warn!("cannot ask the MLS for fresh photo links of {key}: {e}");
                None
            }
        }
    }
}

/// Fetches a RESO listing's photos, renewing its links first when they say
/// they have expired, or after the photo host refused some of them; the
/// refused ones are fetched again from the new links (all of them when
/// the set changed).
async fn renewing(
    http: &porchlight_net::Http,
    cache: &PhotoCache,
    listing: &PhotoTarget,
    renew: &mut Renew,
) -> Result<(Vec<CachedPhoto>, Option<Listing>), PhotoError> {
    let at = (listing.source.as_str(), listing.key.as_str());
    let mut current = listing.listing.clone();
    let mut urls = media_urls(listing);
    let mut renewed = None;
    let now = chrono::Utc::now();
    if urls.is_empty() || urls.iter().any(|u| link_expired(u, now)) {
        if let Some(l) = renew.listing(at.1).await {
            urls = listing_media_urls(&l);
            current = Some(l.clone());
            renewed = Some(l);
        }
    }
    let mut got = Collect::default();
    fetch_urls(http, cache, at, &urls, &all(&urls), &mut got).await;
    let refused = got.refused();
    if !refused.is_empty() && renewed.is_none() {
        if let Some(l) = renew.listing(at.1).await {
            let fresh = listing_media_urls(&l);
            let again = if fresh.len() == urls.len() {
                refused
            } else {
                all(&fresh).into_iter().chain(all(&urls)).collect()
            };
            got.again(&again);
            fetch_urls(http, cache, at, &fresh, &again, &mut got).await;
            current = Some(l.clone());
            renewed = Some(l);
        }
    }
    let mark = current.as_ref().and_then(photo_mark);
    let photos = got.finish(cache, at.0, at.1, mark.as_deref())?;
    Ok((photos, renewed))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut out, 85,
            ))
            .expect("encode");
        out
    }

    #[test]
    fn photos_are_stored_with_thumbnails_and_listed_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = PhotoCache::new(dir.path());
        assert_eq!(cache.photos("mls", "L/1").expect("none yet"), None);
        let big = jpeg(1200, 800);
        cache.store("mls", "L/1", 2, &jpeg(100, 50)).expect("2");
        let one = cache.store("mls", "L/1", 1, &big).expect("1");
        let thumb =
            image::load_from_memory(&std::fs::read(&one.thumbnail).expect("thumb")).expect("image");
        assert_eq!((thumb.width(), thumb.height()), (320, 213));
        assert_eq!(std::fs::read(&one.path).expect("photo"), big);
        let listed = cache.photos("mls", "L/1").expect("list").expect("some");
        assert_eq!(listed.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
        // Keys that differ only in unsafe characters do not share a folder.
        assert_eq!(cache.photos("mls", "L_1").expect("list"), None);
        assert!(cache.size() > big.len() as u64);
        cache.mark_none("mls", "L2").expect("none");
        assert_eq!(cache.photos("mls", "L2").expect("list"), Some(Vec::new()));
        let e = cache
            .store("mls", "L3", 1, b"<html>not a photo</html>")
            .expect_err("bad");
        assert!(
            e.to_string().contains("photo 1 of L3 is not a picture"),
            "{e}"
        );
        assert_eq!(
            cache.photos("mls", "L3").expect("list"),
            None,
            "nothing half-stored"
        );
    }

    #[test]
    fn gif_and_webp_photos_are_cached_thumbnailed_and_listed_like_jpeg() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = PhotoCache::new(dir.path());
        let img = image::DynamicImage::ImageRgba8(image::RgbaImage::from_fn(640, 480, |x, y| {
            image::Rgba([(x % 256) as u8, (y % 256) as u8, 40, 255])
        }));
        let mut gif = Vec::new();
        img.write_with_encoder(image::codecs::gif::GifEncoder::new(&mut gif))
            .expect("gif");
        let mut webp = Vec::new();
        img.write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut webp))
            .expect("webp");
        cache.store("mls", "G1", 1, &gif).expect("gif stored");
        cache.store("mls", "G1", 2, &webp).expect("webp stored");
        let listed = cache.photos("mls", "G1").expect("list").expect("some");
        let names: Vec<String> = listed
            .iter()
            .map(|p| {
                p.path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["1.gif", "2.webp"]);
        for p in &listed {
            let t = image::load_from_memory(&std::fs::read(&p.thumbnail).expect("thumb"))
                .expect("thumbnail");
            assert_eq!((t.width(), t.height()), (320, 240));
        }
    }

    #[test]
    fn a_location_copied_from_xml_has_its_entities_decoded() {
        assert_eq!(
            unescape_xml(" https://cdn.example/p?id=1&amp;n=2 "),
            "https://cdn.example/p?id=1&n=2"
        );
    }

    #[test]
    fn reso_media_urls_are_photos_in_order() {
        let mut listing = porchlight_model::Listing {
            listing_key: "R1".into(),
            ..Default::default()
        };
        listing.other.insert(
            "Media".into(),
            r#"[{"MediaURL":"http://x/2.jpg","Order":2},{"MediaURL":"http://x/1.jpg","Order":1},{"MediaURL":"http://x/plan.pdf","MediaCategory":"Document"}]"#.into(),
        );
        let target = PhotoTarget {
            key: "R1".into(),
            source: "reso".into(),
            listing: Some(listing),
        };
        assert_eq!(media_urls(&target), ["http://x/1.jpg", "http://x/2.jpg"]);
    }

    #[test]
    fn signed_links_say_when_they_expire() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
        let at = |t: i64| now.timestamp() + t;
        // CloudFront / Akamai.
        assert!(link_expired(
            &format!("https://cdn.x/p.jpg?Expires={}&Signature=s", at(-1)),
            now
        ));
        assert!(!link_expired(
            &format!("https://cdn.x/p.jpg?Expires={}", at(60)),
            now
        ));
        // S3 presigned: signed at 11:00 for an hour, so over at 12:00.
        let s3 = "https://b.s3.amazonaws.com/p.jpg?X-Amz-Date=20261203T110000Z&X-Amz-Expires=3600&X-Amz-Signature=x";
        assert!(link_expired(s3, now));
        assert!(!link_expired(&s3.replace("3600", "3601"), now));
        // Azure SAS.
        assert!(link_expired(
            "https://a.blob.core.windows.net/p.jpg?se=2026-12-03T11:59:00Z&sig=x",
            now
        ));
        // Nothing said, or not a URL: taken as good.
        assert!(!link_expired("https://cdn.x/p.jpg?sig=2", now));
        assert!(!link_expired("not a url", now));
    }

    #[test]
    fn a_photo_set_keeps_its_mark_when_its_links_are_signed_again() {
        let with = |media: &str| {
            let mut l = porchlight_model::Listing {
                listing_key: "R1".into(),
                ..Default::default()
            };
            l.other.insert("Media".into(), media.into());
            l
        };
        let a = with(
            r#"[{"MediaKey":"m1","MediaURL":"https://x/1.jpg?sig=1","MediaModificationTimestamp":"2026-01-01T00:00:00Z"}]"#,
        );
        let b = with(
            r#"[{"MediaKey":"m1","MediaURL":"https://x/1.jpg?sig=2","MediaModificationTimestamp":"2026-01-01T00:00:00Z"}]"#,
        );
        let changed = with(
            r#"[{"MediaKey":"m1","MediaURL":"https://x/1.jpg?sig=2","MediaModificationTimestamp":"2026-02-01T00:00:00Z"}]"#,
        );
        // Without keys, a link without its query stands for the photo.
        let keyless = with(r#"[{"MediaURL":"https://x/1.jpg?sig=1"}]"#);
        let keyless_again = with(r#"[{"MediaURL":"https://x/1.jpg?sig=9"}]"#);
        assert_eq!(photo_mark(&a), photo_mark(&b));
        assert_ne!(photo_mark(&a), photo_mark(&changed));
        assert_eq!(photo_mark(&keyless), photo_mark(&keyless_again));
        let mut counted = porchlight_model::Listing::default();
        assert_eq!(photo_mark(&counted), None);
        counted.other.insert("PhotosCount".into(), "12".into());
        let twelve = photo_mark(&counted);
        counted.other.insert("PhotosCount".into(), "13".into());
        assert!(twelve.is_some() && twelve != photo_mark(&counted));
    }
}
