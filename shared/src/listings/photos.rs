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

use super::rets::client::{RetsClient, RetsError};
use super::rets::multipart::ObjectPart;
use crate::doc::listing_shard::CachedListing;

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
    Fetch { url: String, reason: String },
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
    format!(
        "{clean}-{:02x}{:02x}{:02x}{:02x}",
        hash[0], hash[1], hash[2], hash[3]
    )
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

async fn download(http: &crate::net::Http, url: &str) -> Result<Vec<u8>, PhotoError> {
    let fail = |reason: String| PhotoError::Fetch {
        url: url.to_string(),
        reason,
    };
    // Photos carry no credentials, so the open client (CDN redirects
    // followed) fetches them.
    let resp = http
        .open
        .get(url)
        .send()
        .await
        .map_err(|e| fail(crate::net::describe(&e, url)))?;
    if !resp.status().is_success() {
        return Err(fail(format!("HTTP {}", resp.status().as_u16())));
    }
    crate::net::read_capped(resp, crate::net::caps::photo(), "a photo", "")
        .await
        .map_err(|e| fail(e.to_string()))
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
/// failed is the first failure the answer.
#[derive(Debug, Default)]
struct Collect {
    photos: Vec<CachedPhoto>,
    first_error: Option<PhotoError>,
    skipped: usize,
}

impl Collect {
    fn push(&mut self, key: &str, number: u32, got: Result<CachedPhoto, PhotoError>) {
        match got {
            Ok(p) => self.photos.push(p),
            Err(e @ PhotoError::Io { .. }) if self.first_error.is_none() => {
                self.first_error = Some(e)
            }
            Err(e) => {
                tracing::warn!("photo {number} of {key} skipped: {e}");
                self.skipped += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(e);
                }
            }
        }
    }

    fn finish(
        self,
        cache: &PhotoCache,
        source: &str,
        key: &str,
    ) -> Result<Vec<CachedPhoto>, PhotoError> {
        if let Some(e @ PhotoError::Io { .. }) = self.first_error {
            return Err(e);
        }
        if self.photos.is_empty() {
            if let Some(e) = self.first_error {
                return Err(e);
            }
            cache.mark_none(source, key)?;
        } else if self.skipped > 0 {
            tracing::warn!(
                "{key}: {} photo(s) cached, {} skipped",
                self.photos.len(),
                self.skipped
            );
        }
        Ok(self.photos)
    }
}

/// Fetches a listing's photos over RETS (`GetObject`), caching each; a
/// part that says 20403 is skipped, a `Location` part is downloaded. The
/// client must be logged in.
pub async fn fetch_rets(
    client: &mut RetsClient,
    cache: &PhotoCache,
    source: &str,
    key: &str,
) -> Result<Vec<CachedPhoto>, PhotoError> {
    let parts = client
        .get_object("Photo", &format!("{key}:*"), false)
        .await?;
    let http = client.http().clone();
    store_parts(&http, cache, source, key, parts).await
}

async fn store_parts(
    http: &crate::net::Http,
    cache: &PhotoCache,
    source: &str,
    key: &str,
    parts: Vec<ObjectPart>,
) -> Result<Vec<CachedPhoto>, PhotoError> {
    let mut got = Collect::default();
    for (i, part) in parts.into_iter().take(MAX_PHOTOS).enumerate() {
        let number = part.object_id.unwrap_or(i as u32 + 1);
        if part.is_missing() {
            continue;
        }
        let bytes = match (&part.location, &part.error) {
            (Some(url), _) => match download(http, &unescape_xml(url)).await {
                Ok(b) => b,
                Err(e) => {
                    got.push(key, number, Err(e));
                    continue;
                }
            },
            (None, Some((code, text))) => {
                tracing::warn!("photo {number} of {key}: RETS {code} {text}");
                continue;
            }
            (None, None) => part.data,
        };
        got.push(key, number, cache.store(source, key, number, &bytes));
    }
    got.finish(cache, source, key)
}

/// The photo URLs of a RESO listing's `Media` (photos only, in `Order`).
pub fn media_urls(listing: &CachedListing) -> Vec<String> {
    let Some(media) = listing.mls.as_ref().and_then(|l| l.other.get("Media")) else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(media) else {
        return Vec::new();
    };
    let mut photos: Vec<(i64, String)> = items
        .iter()
        .filter(|m| {
            m.get("MediaCategory")
                .and_then(|c| c.as_str())
                .is_none_or(|c| c.eq_ignore_ascii_case("photo"))
        })
        .filter_map(|m| {
            let url = m.get("MediaURL")?.as_str()?.to_string();
            let order = m.get("Order").and_then(|o| o.as_i64()).unwrap_or(i64::MAX);
            Some((order, url))
        })
        .collect();
    photos.sort_by_key(|(order, _)| *order);
    photos
        .into_iter()
        .map(|(_, url)| url)
        .take(MAX_PHOTOS)
        .collect()
}

/// Fetches a RESO listing's photos from its `Media` URLs, caching each.
pub async fn fetch_media(
    cache: &PhotoCache,
    listing: &CachedListing,
    ca_file: Option<&Path>,
) -> Result<Vec<CachedPhoto>, PhotoError> {
    let urls = media_urls(listing);
    let http = crate::net::Http::get(ca_file).map_err(|e| PhotoError::Fetch {
        url: String::new(),
        reason: e.to_string(),
    })?;
    let mut got = Collect::default();
    for (i, url) in urls.iter().enumerate() {
        let number = i as u32 + 1;
        let stored = match download(&http, &unescape_xml(url)).await {
            Ok(bytes) => cache.store(&listing.source, &listing.key, number, &bytes),
            Err(e) => Err(e),
        };
        got.push(&listing.key, number, stored);
    }
    got.finish(cache, &listing.source, &listing.key)
}

/// How to fetch one listing's photos, gathered from the profile (the
/// listing, its MLS connection and the connection's secrets) so that the
/// network part runs without holding the profile.
#[derive(Debug)]
pub struct PhotoJob {
    listing: CachedListing,
    how: How,
}

#[derive(Debug)]
enum How {
    Rets(Box<super::rets::client::RetsConfig>),
    Media(Option<PathBuf>),
    Nothing(String),
}

impl PhotoJob {
    /// Looks up `key` and how its photos can be fetched: RETS GetObject
    /// when this device has the RETS connection and its password, else the
    /// listing's RESO `Media` URLs.
    pub fn prepare(
        profile: &crate::Profile,
        secrets: &crate::secrets::Secrets,
        key: &str,
    ) -> crate::error::Result<PhotoJob> {
        let listing = profile.listing(key)?;
        let how = match profile.mls_source(&listing.source) {
            Ok(source) if source.rets.is_some() => {
                let password = secrets.get(&source.secret_name()).ok().flatten();
                let ua = secrets.get(&source.ua_secret_name()).ok().flatten();
                match password
                    .and_then(|p| super::rets::client::RetsConfig::from_source(&source, p, ua))
                {
                    Some(config) => How::Rets(Box::new(config)),
                    None => How::Nothing(format!(
                        "the password of the RETS connection '{}' is not on this device; run `porchlight mls add-rets` again",
                        source.name
                    )),
                }
            }
            Ok(source) if !media_urls(&listing).is_empty() => How::Media(source.net.ca_file),
            Err(_) if !media_urls(&listing).is_empty() => How::Media(None),
            Ok(source) if !source.expand_media => How::Nothing(format!(
                "the RESO connection '{}' does not ask for Media; add it again with --media and pull",
                source.name
            )),
            // A RESO listing pulled with Media but without photos.
            Ok(source) => How::Media(source.net.ca_file),
            Err(_) => How::Nothing(format!(
                "this device has no connection to the MLS '{}' (a teammate with MLS access can fetch them on theirs)",
                listing.source
            )),
        };
        Ok(PhotoJob { listing, how })
    }

    pub fn listing(&self) -> &CachedListing {
        &self.listing
    }

    /// Fetches and caches the photos (over the network).
    pub async fn run(self, cache: &PhotoCache) -> Result<Vec<CachedPhoto>, PhotoError> {
        match self.how {
            How::Media(ca_file) => fetch_media(cache, &self.listing, ca_file.as_deref()).await,
            How::Rets(config) => {
                let mut client = RetsClient::new(*config)?;
                client.login().await?;
                let result =
                    fetch_rets(&mut client, cache, &self.listing.source, &self.listing.key).await;
                client.logout().await;
                result
            }
            How::Nothing(why) => Err(PhotoError::NoSource {
                key: self.listing.key,
                why,
            }),
        }
    }
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
        let mut listing = crate::listings::Listing {
            listing_key: "R1".into(),
            ..Default::default()
        };
        listing.other.insert(
            "Media".into(),
            r#"[{"MediaURL":"http://x/2.jpg","Order":2},{"MediaURL":"http://x/1.jpg","Order":1},{"MediaURL":"http://x/plan.pdf","MediaCategory":"Document"}]"#.into(),
        );
        let cached = CachedListing {
            key: "R1".into(),
            source: "reso".into(),
            mls: Some(listing),
            team: Default::default(),
        };
        assert_eq!(media_urls(&cached), ["http://x/1.jpg", "http://x/2.jpg"]);
    }
}
