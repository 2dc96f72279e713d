//! MLS connections (list, test, pull with progress), listing photos
//! (cached thumbnails, fetched on demand) and the comparables report.
//!
//! Network work never holds the profile's lock: a pull opens its own
//! handle on the profile in a worker thread (the window refreshes from
//! SQLite's data_version as pages land), and a photo fetch gathers what it
//! needs under the lock, then fetches without it.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use porchlight_core::doc::listing_shard::CachedListing;
use porchlight_core::listings::connect::Connection;
use porchlight_core::listings::photos::{CachedPhoto, PhotoCache, PhotoError, PhotoJob};
use porchlight_core::listings::pull::{Progress, PullError};
use porchlight_core::listings::report;
use porchlight_core::secrets::Secrets;
use porchlight_core::{OpenOptions, Profile};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::error::{AppError, Result};
use crate::state::AppState;

/// One MLS connection as the MLS page shows it (never its secrets).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct MlsConnection {
    pub name: String,
    /// "RESO" or "RETS".
    pub kind: String,
    pub url: String,
    pub resource: String,
    /// The RETS class searched.
    pub class: Option<String>,
    /// The RETS user name.
    pub user: Option<String>,
    /// The newest change pulled (RFC 3339), if any pull finished a page.
    pub last_change: Option<String>,
    /// A pull stopped midway and will resume where it stopped.
    pub unfinished: bool,
}

/// How far a pull has got (the `mls-progress` event).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PullProgress {
    pub name: String,
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    /// Listings per second.
    pub rate: f64,
    /// Seconds left, when the total is known.
    pub eta_secs: Option<f64>,
}

/// What a finished pull did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PullSummary {
    pub pages: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// A cached photo for the window: its thumbnail as a data URL.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PhotoThumb {
    pub number: u32,
    pub thumbnail: String,
}

fn pull_error(e: PullError) -> AppError {
    if e.is_user_error() {
        AppError::Invalid(e.to_string())
    } else {
        AppError::Offline(e.to_string())
    }
}

fn secrets(state: &AppState) -> Result<Secrets> {
    Secrets::new(&state.dir).map_err(|e| AppError::Internal(e.to_string()))
}

fn data_url(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        AppError::NotFound(format!("the photo at {} is gone ({e})", path.display()))
    })?;
    let mime = if path.extension().is_some_and(|e| e == "png") {
        "image/png"
    } else {
        "image/jpeg"
    };
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

fn thumbs(photos: &[CachedPhoto]) -> Result<Vec<PhotoThumb>> {
    photos
        .iter()
        .map(|p| {
            Ok(PhotoThumb {
                number: p.number,
                thumbnail: data_url(&p.thumbnail)?,
            })
        })
        .collect()
}

#[tauri::command(async)]
pub fn mls_connections(state: State<'_, AppState>) -> Result<Vec<MlsConnection>> {
    let profile = state.profile()?;
    profile
        .mls_sources()?
        .into_iter()
        .map(|s| {
            Ok(MlsConnection {
                kind: s.kind().to_string(),
                last_change: profile.listing_mark(&s.name)?.map(|m| m.to_rfc3339()),
                unfinished: profile.listing_checkpoint(&s.name)?.is_some(),
                class: s.rets.as_ref().map(|r| r.class.clone()),
                user: s.rets.as_ref().map(|r| r.username.clone()),
                name: s.name,
                url: s.url,
                resource: s.resource,
            })
        })
        .collect()
}

fn connection(state: &AppState, name: &str) -> Result<(String, Connection)> {
    let source = state.profile()?.mls_source(name)?;
    let connection = Connection::open(&source, &secrets(state)?).map_err(pull_error)?;
    Ok((source.name, connection))
}

/// Signs in to the MLS and asks for a little; says what came back.
#[tauri::command]
pub async fn test_mls_connection(state: State<'_, AppState>, name: String) -> Result<String> {
    let (_, mut connection) = connection(&state, &name)?;
    connection.test().await.map_err(pull_error)
}

/// Pulls what changed from one MLS, sending `mls-progress` events.
#[tauri::command]
pub async fn pull_mls(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    full: bool,
) -> Result<PullSummary> {
    let (name, mut connection) = connection(&state, &name)?;
    let dir = state.dir.clone();
    let worker = tauri::async_runtime::spawn_blocking(move || -> Result<PullSummary> {
        let mut profile = Profile::open(&dir, OpenOptions::default())?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AppError::Internal(format!("cannot start the network runtime: {e}")))?;
        let event_name = name.clone();
        let mut progress = move |p: Progress| {
            let _ = app.emit(
                "mls-progress",
                PullProgress {
                    name: event_name.clone(),
                    done: p.done,
                    total: p.total,
                    rate: p.rate(),
                    eta_secs: p.eta().map(|d| d.as_secs_f64()),
                },
            );
        };
        let report = rt
            .block_on(connection.pull(&mut profile, &name, full, &mut progress))
            .map_err(pull_error)?;
        Ok(PullSummary {
            pages: report.pages,
            added: report.import.added,
            updated: report.import.updated,
            unchanged: report.import.unchanged,
            removed: report.import.removed,
        })
    });
    worker
        .await
        .map_err(|e| AppError::Internal(format!("the pull stopped: {e}")))?
}

/// The listing's cached photos; `None` when they were never fetched.
#[tauri::command(async)]
pub fn listing_photos(state: State<'_, AppState>, key: String) -> Result<Option<Vec<PhotoThumb>>> {
    let listing = state.profile()?.listing(&key)?;
    let cache = PhotoCache::new(&state.dir);
    match cache
        .photos(&listing.source, &listing.key)
        .map_err(photo_error)?
    {
        Some(photos) => Ok(Some(thumbs(&photos)?)),
        None => Ok(None),
    }
}

fn photo_error(e: PhotoError) -> AppError {
    match e {
        PhotoError::NoSource { .. } | PhotoError::NotAnImage { .. } => {
            AppError::Invalid(e.to_string())
        }
        PhotoError::Io { .. } => AppError::Internal(e.to_string()),
        PhotoError::Rets(_) | PhotoError::Fetch { .. } => AppError::Offline(e.to_string()),
    }
}

/// Fetches the listing's photos from the MLS and caches them.
#[tauri::command]
pub async fn fetch_listing_photos(
    state: State<'_, AppState>,
    key: String,
) -> Result<Vec<PhotoThumb>> {
    let job = {
        let profile = state.profile()?;
        PhotoJob::prepare(&profile, &secrets(&state)?, &key)?
    };
    let photos = job
        .run(&PhotoCache::new(&state.dir))
        .await
        .map_err(photo_error)?;
    thumbs(&photos)
}

/// One cached photo at full size, as a data URL.
#[tauri::command(async)]
pub fn listing_photo(state: State<'_, AppState>, key: String, number: u32) -> Result<String> {
    let listing = state.profile()?.listing(&key)?;
    let photos = PhotoCache::new(&state.dir)
        .photos(&listing.source, &listing.key)
        .map_err(photo_error)?
        .unwrap_or_default();
    let photo = photos
        .iter()
        .find(|p| p.number == number)
        .ok_or_else(|| AppError::NotFound(format!("photo {number} of {key} is not cached")))?;
    data_url(&photo.path)
}

#[tauri::command(async)]
pub fn favourite_listing(
    state: State<'_, AppState>,
    key: String,
    on: bool,
) -> Result<CachedListing> {
    Ok(state.profile()?.favourite_listing(&key, on)?)
}

/// Sets the showing status (requested, scheduled, shown, offer,
/// cancelled), or clears it with `null`.
#[tauri::command(async)]
pub fn set_listing_showing(
    state: State<'_, AppState>,
    key: String,
    status: Option<String>,
) -> Result<CachedListing> {
    let status = status.filter(|s| !s.trim().is_empty());
    Ok(state
        .profile()?
        .set_listing_showing(&key, status.as_deref())?)
}

/// Writes the comparables report (HTML that prints well to PDF) to the
/// Downloads folder (the profile folder when there is none); returns its path.
#[tauri::command(async)]
pub fn export_comps_report(state: State<'_, AppState>, key: String) -> Result<String> {
    let (html, name) = {
        let profile = state.profile()?;
        let (subject, comps) = profile.listing_comps(&key, 6)?;
        let mls = subject.mls.ok_or_else(|| {
            AppError::Invalid(format!(
                "{key} is no longer returned by the MLS; there are no facts to report on"
            ))
        })?;
        let safe: String = subject
            .key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        (
            report::comps_html(&mls, &comps, profile.now(), profile.user()),
            format!("comparables-{safe}.html"),
        )
    };
    let path = report_folder(dirs::download_dir(), &state.dir)?.join(name);
    std::fs::write(&path, html)
        .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// Where reports go: the user's Downloads folder (made if the desktop
/// names one that is not there yet), else `reports` in the profile.
fn report_folder(downloads: Option<PathBuf>, profile: &Path) -> Result<PathBuf> {
    if let Some(d) = downloads
        && std::fs::create_dir_all(&d).is_ok()
    {
        return Ok(d);
    }
    let folder = profile.join("reports");
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::Internal(format!("cannot make {}: {e}", folder.display())))?;
    Ok(folder)
}

#[cfg(test)]
mod tests {
    use super::report_folder;

    #[test]
    fn reports_go_to_downloads_made_if_missing_else_to_the_profile() {
        let home = tempfile::tempdir().expect("dir");
        let downloads = home.path().join("Downloads");
        assert_eq!(
            report_folder(Some(downloads.clone()), home.path()).expect("folder"),
            downloads
        );
        assert!(downloads.is_dir());
        // A Downloads path that cannot be made (under a file).
        let file = home.path().join("file");
        std::fs::write(&file, "x").expect("file");
        let profile = home.path().join("profile");
        let folder = report_folder(Some(file.join("Downloads")), &profile).expect("fallback");
        assert_eq!(folder, profile.join("reports"));
        assert!(folder.is_dir());
        assert_eq!(
            report_folder(None, &profile).expect("none"),
            profile.join("reports")
        );
    }
}

/// The tasks linked to a listing (`mls:KEY`), open and done.
#[tauri::command(async)]
pub fn listing_tasks(
    state: State<'_, AppState>,
    key: String,
) -> Result<Vec<porchlight_core::model::Task>> {
    Ok(state.profile()?.tasks_for_listing(&key)?)
}
