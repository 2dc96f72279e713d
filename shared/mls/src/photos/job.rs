//! One listing's photo job, prepared from the cache and run without it,
//! renewing expired links through the MLS.

use std::path::PathBuf;

use crate::rets::client::RetsClient;
use porchlight_model::Listing;

use super::*;

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
pub(crate) enum How {
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
        let how = match connection {
            Some(source) if source.rets.is_some() => {
                let password = secrets.get(&source.secret_name()).ok().flatten();
                let ua = secrets.get(&source.ua_secret_name()).ok().flatten();
                match password
                    .and_then(|p| crate::rets::client::RetsConfig::from_source(source, p, ua))
                {
                    Some(config) => How::Rets(Box::new(config)),
                    None => How::Nothing(format!(
                        "the password of the RETS connection '{}' is not on this device; run `porchlight mls add-rets` again",
                        source.name
                    )),
                }
            }
            Some(source) if !has_media && !source.expand_media => How::Nothing(format!(
                "the RESO connection '{}' does not ask for Media; add it again with --media and pull",
                source.name
            )),
            // With Media links (or a listing pulled with Media but none).
            Some(source) => {
                let refresh = match secrets.get(&source.secret_name()).ok().flatten() {
                    Some(secret) if source.expand_media => Some(Box::new((
                        crate::reso::ResoConfig::from_source(source, secret),
                        usage,
                    ))),
                    _ => None,
                };
                How::Media {
                    ca_file: source.net.ca_file.clone(),
                    refresh,
                }
            }
            None if has_media => How::Media {
                ca_file: None,
                refresh: None,
            },
            None => How::Nothing(format!(
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
pub(crate) struct Renew {
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
pub(crate) async fn renewing(
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
