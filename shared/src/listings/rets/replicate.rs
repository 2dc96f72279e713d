//! Incremental replication from a RETS server into the listing cache.
//!
//! The query is `(ModTime=mark+)` — at or after the high-water mark, so
//! records sharing the mark's instant are fetched again rather than
//! skipped; importing them again changes nothing. RETS pages by `Offset`
//! (from 1) over an unordered result, so the mark only moves when the
//! whole query is in; what moves per page is a checkpoint (query, next
//! offset, newest timestamp so far), and a pull stopped by a crash or a
//! lost network resumes from the page after the last one imported. 20201
//! is an empty result, `<MAXROWS/>` or a count not yet reached means
//! there is more, and a page that repeats the previous one stops the pull
//! (a server ignoring `Offset` would otherwise loop for ever).

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::client::{RetsClient, RetsError};
use super::metadata::Decoder;
use crate::Profile;
use crate::listings::Listing;
use crate::listings::mapping::Mapping;
use crate::listings::pull::{Progress, PullError, PullReport};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    query: String,
    offset: usize,
    newest: Option<DateTime<Utc>>,
}

/// The DMQL2 query for records modified at or after `since`.
pub fn query(field: &str, since: Option<DateTime<Utc>>) -> String {
    let at = since
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_else(|| "1900-01-01T00:00:00".into());
    format!("({field}={at}+)")
}

/// Reads a page's rows, naming the first that does not make a listing.
fn listings(
    decoder: &Decoder,
    reply: &super::compact::CompactReply,
    offset: usize,
) -> Result<Vec<Listing>, RetsError> {
    let mut out = Vec::with_capacity(reply.rows.len());
    for (i, row) in reply.rows.iter().enumerate() {
        let fields = decoder.record(&reply.columns, row);
        let listing = Listing::from_fields(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|errors| RetsError::Reply {
                url: format!("search row {}", offset + i),
                error: super::ReplyError::NotRets(
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            })?;
        out.push(listing);
    }
    Ok(out)
}

/// Pulls `source`'s listings modified since its mark (all of them when
/// `full`, which then drops the listings the server no longer returns),
/// reporting progress after each page. Logs in first and out at the end.
pub async fn pull(
    profile: &mut Profile,
    source: &str,
    client: &mut RetsClient,
    full: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<PullReport, PullError> {
    let result = run(profile, source, client, full, progress).await;
    client.logout().await;
    result
}

async fn run(
    profile: &mut Profile,
    source: &str,
    client: &mut RetsClient,
    full: bool,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<PullReport, PullError> {
    let started = Instant::now();
    client.login().await?;
    let metadata = client.class_metadata().await?;
    let config = client.config().clone();
    let decoder = metadata.decoder(&config.resource, &config.class, &Mapping::default());
    let field = decoder
        .system_name("ModificationTimestamp")
        .ok_or_else(|| {
            RetsError::Reply {
                url: format!("metadata of {}:{}", config.resource, config.class),
                error: super::ReplyError::NotRets(
                    "no field of the class has the StandardName ModificationTimestamp, so changes cannot be replicated".into(),
                ),
            }
        })?
        .to_string();
    let since = if full {
        None
    } else {
        profile.listing_mark(source)?
    };
    let query = query(&field, since);
    // Resume an unfinished incremental pull of the same query.
    let resumed = match profile.listing_checkpoint(source)? {
        Some(note) if !full => serde_json::from_str::<Checkpoint>(&note)
            .ok()
            .filter(|c| c.query == query),
        _ => None,
    };
    let mut offset = resumed.as_ref().map_or(1, |c| c.offset);
    let mut newest = resumed.and_then(|c| c.newest);
    let mut report = PullReport::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut previous: Option<Vec<String>> = None;
    let mut total = None;
    loop {
        let reply = client.search(&query, offset).await?;
        total = reply.count.or(total);
        let page = listings(&decoder, &reply, offset)?;
        let keys: Vec<String> = page.iter().map(|l| l.listing_key.clone()).collect();
        if !keys.is_empty() && previous.as_ref() == Some(&keys) {
            return Err(RetsError::RepeatedPage { offset }.into());
        }
        let done = profile.import_listings(source, &page, false)?;
        report.pages += 1;
        report.import.added += done.added;
        report.import.updated += done.updated;
        report.import.unchanged += done.unchanged;
        report.import.shards = report.import.shards.max(done.shards);
        newest = page
            .iter()
            .filter_map(|l| l.modification_timestamp)
            .chain(newest)
            .max();
        if full {
            seen.extend(keys.iter().cloned());
        }
        let next = offset + page.len();
        let more =
            !page.is_empty() && (reply.max_rows || total.is_some_and(|t| (next as u64) <= t));
        if more && !full {
            let note = serde_json::to_string(&Checkpoint {
                query: query.clone(),
                offset: next,
                newest,
            })
            .map_err(|e| crate::error::CoreError::InvalidValue {
                what: "pull checkpoint",
                value: e.to_string(),
                hint: "",
            })?;
            profile.set_listing_checkpoint(source, Some(&note))?;
        }
        let imported = report.import.added + report.import.updated + report.import.unchanged;
        progress(Progress {
            done: imported as u64,
            total,
            elapsed: started.elapsed(),
        });
        if !more {
            break;
        }
        previous = Some(keys);
        offset = next;
    }
    if let Some(at) = newest {
        profile.set_listing_mark(source, at)?;
    }
    profile.set_listing_checkpoint(source, None)?;
    if full {
        report.import.removed = profile.reconcile_listings(source, &seen)?;
    }
    Ok(report)
}
