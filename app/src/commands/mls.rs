//! MLS connections (list, test, pull with progress), listing photos
//! (cached thumbnails, fetched on demand) and the comparables report.
//!
//! Network work never holds the profile's lock: a pull opens its own
//! handle on the profile in a worker thread (the window refreshes from
//! SQLite's data_version as pages land), and a photo fetch gathers what it
//! needs under the lock, then fetches without it.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use porchlight_store::doc::listing_shard::CachedListing;
use porchlight_store::listings::connect::Connection;
use porchlight_store::listings::photos::{CachedPhoto, PhotoCache, PhotoError};
use porchlight_store::listings::pull::{Progress, PullError, PullOptions};
use porchlight_store::listings::report;
use porchlight_store::listings::sources::{self, MlsSource, RetsSettings};
use porchlight_store::profile::ConnectionError;
use porchlight_store::secrets::{SecretError, Secrets};
use porchlight_store::{OpenOptions, Profile};
use serde::{Deserialize, Serialize};
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
    /// Photos fetched so far (a pull with photos).
    #[ts(type = "number")]
    pub photos: u64,
}

/// What a finished pull did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PullSummary {
    pub pages: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Records skipped or kept in part and photos skipped, in words (the
    /// first 200).
    pub problems: Vec<String>,
    pub problem_count: usize,
    /// Listings whose photos were fetched, and photos fetched (a pull with
    /// photos).
    pub photo_listings: usize,
    pub photos: usize,
}

/// A cached photo for the window: its thumbnail as a data URL.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PhotoThumb {
    pub number: u32,
    pub thumbnail: String,
}

/// A connection as typed into the MLS page's form. Empty optional fields
/// take the same defaults as the CLI.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct NewMlsConnection {
    pub name: String,
    /// "RESO" or "RETS".
    pub kind: String,
    /// RESO: the OData service root; RETS: the login URL.
    pub url: String,
    /// Empty for `Property`.
    #[serde(default)]
    pub resource: String,
    /// RESO with OAuth2 client credentials: the token endpoint and client
    /// id (the secret is then the client secret); both empty for a bearer
    /// token.
    #[serde(default)]
    pub token_url: String,
    #[serde(default)]
    pub client_id: String,
    /// RESO: ask for `$expand=Media` (photo links).
    #[serde(default)]
    pub media: bool,
    /// RESO: the fields to ask for (`core`, or names separated by commas);
    /// empty for every field.
    #[serde(default)]
    pub select: String,
    /// RETS: the user name, class (empty for RES), user agent and version.
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub user_agent: String,
    #[serde(default)]
    pub rets_version: String,
    /// The bearer token, OAuth2 client secret or RETS password.
    pub secret: String,
    /// RETS: the user-agent password, when the MLS issued one.
    #[serde(default)]
    pub ua_password: String,
    /// A PEM file of a private CA for this MLS; empty for none.
    #[serde(default)]
    pub ca_file: String,
    /// Other hosts the MLS links to (e.g. its photo CDN), separated by
    /// commas; fetched without credentials.
    #[serde(default)]
    pub allow_origins: String,
    /// The vendor-limit preset: empty for `default`, `mlsgrid` or `none`.
    #[serde(default)]
    pub limits: String,
}

/// A saved connection, and a warning when its secret could not go to the
/// OS keychain.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct MlsAdded {
    pub name: String,
    pub warning: Option<String>,
}

fn or(value: &str, default: &str) -> String {
    match value.trim() {
        "" => default.to_string(),
        v => v.to_string(),
    }
}

/// The settings the form describes (checked when saved).
fn source_from_form(form: &NewMlsConnection) -> Result<MlsSource> {
    let rets = match form.kind.as_str() {
        "RESO" => None,
        "RETS" => Some(RetsSettings {
            username: form.user.clone(),
            class: form.class.clone(),
            user_agent: form.user_agent.clone(),
            version: form.rets_version.clone(),
            ua_password: !form.ua_password.trim().is_empty(),
            fields: Default::default(),
        }),
        other => {
            return Err(AppError::Invalid(format!(
                "'{other}' is not a kind of MLS server; choose RESO Web API or RETS"
            )));
        }
    };
    let is_rets = rets.is_some();
    Ok(MlsSource {
        name: form.name.clone(),
        url: form.url.clone(),
        resource: form.resource.clone(),
        token_url: Some(form.token_url.clone()),
        client_id: Some(form.client_id.clone()),
        page_size: if is_rets {
            sources::RETS_PAGE_SIZE
        } else {
            sources::RESO_PAGE_SIZE
        },
        expand_media: form.media,
        rets,
        select: sources::parse_select(&form.select),
        net: sources::NetSettings {
            ca_file: Some(std::path::PathBuf::from(form.ca_file.trim())),
            allow_origins: form
                .allow_origins
                .split([',', ' '])
                .map(str::to_string)
                .collect(),
            limits: {
                let name = or(&form.limits, "default");
                porchlight_store::listings::quota::preset(&name).ok_or_else(|| {
                    AppError::Invalid(format!(
                        "'{name}' is not a limits preset; choose default, mlsgrid or none"
                    ))
                })?
            }
            .into(),
        },
    }
    .normalized())
}

impl From<ConnectionError> for AppError {
    fn from(e: ConnectionError) -> Self {
        match e {
            ConnectionError::Core(core) => core.into(),
            ConnectionError::Secret(
                e @ (SecretError::KeychainRequired(_) | SecretError::BadMode(_)),
            ) => AppError::Invalid(e.to_string()),
            ConnectionError::Secret(e) => {
                tracing::error!(error = %e, "cannot store an MLS secret");
                AppError::Internal(e.to_string())
            }
        }
    }
}

/// Saves a new connection: its settings in the profile, its secrets in the
/// OS keychain. A name already in use is refused (remove that one first).
#[tauri::command(async)]
pub fn add_mls_connection(
    state: State<'_, AppState>,
    connection: NewMlsConnection,
) -> Result<MlsAdded> {
    let source = source_from_form(&connection)?;
    let keychain = secrets(&state)?;
    let mut profile = state.profile()?;
    if profile.mls_source(&source.name).is_ok() {
        return Err(AppError::Invalid(format!(
            "there is already a connection named '{}'; choose another name, or remove that one first",
            source.name
        )));
    }
    let stored = profile.add_mls_connection(
        &keychain,
        &source,
        &connection.secret,
        Some(&connection.ua_password),
    )?;
    Ok(MlsAdded {
        name: source.name,
        warning: stored.warning(),
    })
}

/// Forgets a connection and its secrets; its listings stay cached.
#[tauri::command(async)]
pub fn remove_mls_connection(state: State<'_, AppState>, name: String) -> Result<()> {
    let keychain = secrets(&state)?;
    if state.profile()?.remove_mls_connection(&keychain, &name)? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "there is no MLS connection '{name}' any more"
        )))
    }
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
                last_change: profile.listings().mark(&s.name)?.map(|m| m.to_rfc3339()),
                unfinished: profile.listings().checkpoint(&s.name)?.is_some(),
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
    photos: bool,
) -> Result<PullSummary> {
    let (name, mut connection) = connection(&state, &name)?;
    let dir = state.dir.clone();
    let options = PullOptions {
        full,
        skip_bad: false,
        photos: photos.then(|| PhotoCache::new(&dir)),
    };
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
                    photos: p.photos,
                },
            );
        };
        let report = rt
            .block_on(connection.pull(&mut profile, &name, &options, &mut progress))
            .map_err(pull_error)?;
        Ok(PullSummary {
            pages: report.pages,
            added: report.import.added,
            updated: report.import.updated,
            unchanged: report.import.unchanged,
            removed: report.import.removed,
            problem_count: report.problem_count,
            problems: report.problems,
            photo_listings: report.photos.listings,
            photos: report.photos.photos,
        })
    });
    worker
        .await
        .map_err(|e| AppError::Internal(format!("the pull stopped: {e}")))?
}

/// The listing's cached photos; `None` when they were never fetched.
#[tauri::command(async)]
pub fn listing_photos(state: State<'_, AppState>, key: String) -> Result<Option<Vec<PhotoThumb>>> {
    let listing = state.profile()?.listings().get(&key)?;
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
        profile.photo_job(&secrets(&state)?, &key)?
    };
    let fetched = job
        .run(&PhotoCache::new(&state.dir))
        .await
        .map_err(photo_error)?;
    let photos = fetched.keep(&mut *state.profile()?)?;
    thumbs(&photos)
}

/// One cached photo at full size, as a data URL.
#[tauri::command(async)]
pub fn listing_photo(state: State<'_, AppState>, key: String, number: u32) -> Result<String> {
    let listing = state.profile()?.listings().get(&key)?;
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
    Ok(state.profile()?.listings_mut().favourite(&key, on)?)
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
        .listings_mut()
        .set_showing(&key, status.as_deref())?)
}

/// Writes the comparables report (HTML that prints well to PDF) to the
/// Downloads folder (the profile folder when there is none); returns its path.
#[tauri::command(async)]
pub fn export_comps_report(state: State<'_, AppState>, key: String) -> Result<String> {
    let (html, name) = {
        let profile = state.profile()?;
        let (subject, comps) = profile.listings().comps(&key, 6)?;
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
mod tests;

/// The tasks linked to a listing (`mls:KEY`), open and done.
#[tauri::command(async)]
pub fn listing_tasks(
    state: State<'_, AppState>,
    key: String,
) -> Result<Vec<porchlight_store::model::Task>> {
    Ok(state.profile()?.tasks().for_listing(&key)?)
}
