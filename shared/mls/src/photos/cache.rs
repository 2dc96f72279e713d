//! The photo cache on disk: photos and thumbnails, written whole or not at
//! all, and the mark of the set last fetched.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::*;

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

pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> PhotoError {
    PhotoError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// A file or directory name for any key: safe characters kept, anything
/// else replaced, and a short hash so two keys never share a name.
pub(crate) fn safe_name(text: &str) -> String {
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

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PhotoError> {
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

    pub(crate) fn set_mark(&self, source: &str, key: &str, mark: &str) -> Result<(), PhotoError> {
        let dir = self.dir(source, key);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        write_atomic(&dir.join("mark"), mark.as_bytes())
    }

    /// Removes every cached photo of the listing whose number is not in
    /// `numbers` (a set that shrank, a photo the MLS no longer has).
    pub(crate) fn keep_only(
        &self,
        source: &str,
        key: &str,
        numbers: &[u32],
    ) -> Result<(), PhotoError> {
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
