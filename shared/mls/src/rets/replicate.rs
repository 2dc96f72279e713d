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
use crate::mapping::Mapping;
use crate::photos::{self, PhotoCache};
use crate::pull::{Progress, PullError, PullOptions, PullReport};
use crate::sink::ListingSink;
use porchlight_model::Listing;

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

/// A page's listings, and what could not be read of it.
struct PageRead {
    listings: Vec<Listing>,
    /// Keys of rows that did not fit the columns (skipped with
    /// `skip_bad`): a `--full` pull must not delete them.
    bad_keys: Vec<String>,
    /// A bad row whose key could not be told: `--full` cannot reconcile.
    unkeyed: bool,
}

/// Reads a page's rows. A value that does not read is kept as text and
/// reported; a row with no key is reported and skipped; a row whose field
/// count is wrong stops the pull (nothing of the page imported) unless
/// `skip_bad`, when it is reported with its line and key and skipped.
fn read_page(
    decoder: &Decoder,
    reply: &super::compact::CompactReply,
    offset: usize,
    skip_bad: bool,
    report: &mut PullReport,
) -> Result<PageRead, RetsError> {
    let key_at = decoder
        .system_name("ListingKey")
        .and_then(|k| reply.columns.iter().position(|c| c == k));
    let mut read = PageRead {
        listings: Vec::with_capacity(reply.rows.len()),
        bad_keys: Vec::new(),
        unkeyed: false,
    };
    let mut bad = Vec::new();
    for (line, fields) in &reply.bad_lines {
        let key = key_at
            .and_then(|i| fields.get(i))
            .filter(|k| !k.is_empty())
            .cloned();
        bad.push(format!(
            "data line {line} of the page at offset {offset}{}: {} fields where the columns are {} (a delimiter inside a value?)",
            key.as_deref().map(|k| format!(" (key {k})")).unwrap_or_default(),
            fields.len(),
            reply.columns.len()
        ));
        match key {
            Some(k) => read.bad_keys.push(k),
            None => read.unkeyed = true,
        }
    }
    if !bad.is_empty() && !skip_bad {
        return Err(RetsError::BadRows {
            offset,
            rows: bad.join("; "),
        });
    }
    for b in bad {
        report.problem(format!("{b}; skipped"));
    }
    for (i, row) in reply.rows.iter().enumerate() {
        let fields = decoder.record(&reply.columns, row);
        match Listing::from_fields_lenient(fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(r) => {
                for p in &r.problems {
                    report.problem(format!(
                        "{}: {} {}; kept as text",
                        r.listing.listing_key, p.field, p.message
                    ));
                }
                read.listings.push(r.listing);
            }
            Err(e) => report.problem(format!(
                "row {} of the search: {} {}; skipped",
                offset + i,
                e.field,
                e.message
            )),
        }
    }
    Ok(read)
}

/// Pulls `source`'s listings modified since its mark (all of them when
/// `full`, which then drops the listings the server no longer returns),
/// reporting progress after each page. Logs in first and out at the end.
pub async fn pull(
    cache: &mut (dyn ListingSink + Send),
    source: &str,
    client: &mut RetsClient,
    options: &PullOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<PullReport, PullError> {
    let saved = cache.usage(source)?;
    client.governor.load(saved.as_deref());
    let result = run(cache, source, client, options, progress).await;
    client.logout().await;
    // What was used counts toward the vendor's limits next time too.
    cache.set_usage(source, &client.governor.save())?;
    result
}

// The page loop of a RETS pull (offsets, a server that ignores them, the
// timestamp windows, checkpoints): long because the recoveries share the
// loop's state, each commented.
async fn run(
    cache: &mut (dyn ListingSink + Send),
    source: &str,
    client: &mut RetsClient,
    options: &PullOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<PullReport, PullError> {
    let full = options.full;
    let started = Instant::now();
    client.login().await?;
    let metadata = client.class_metadata().await?;
    let config = client.config().clone();
    let decoder = metadata.decoder(
        &config.resource,
        &config.class,
        &Mapping::exact(&config.fields),
    );
    let field = decoder
        .system_name("ModificationTimestamp")
        .ok_or_else(|| {
            RetsError::Reply {
                url: format!("metadata of {}:{}", config.resource, config.class),
                error: super::ReplyError::NotRets(
                    "no field of the class has the StandardName ModificationTimestamp, so changes cannot be replicated; name it with `porchlight mls add-rets … --timestamp-field SYSTEM-NAME` (`porchlight mls test` lists what is missing)".into(),
                ),
            }
        })?
        .to_string();
    let since = if full { None } else { cache.mark(source)? };
    let query = query(&field, since);
    // Resume an unfinished incremental pull of the same query.
    let resumed = match cache.checkpoint(source)? {
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
    let mut reconcilable = true;
    loop {
        let reply = client.search(&query, offset).await?;
        total = reply.count.or(total);
        let read = read_page(&decoder, &reply, offset, options.skip_bad, &mut report)?;
        let page = read.listings;
        // Rows counted by the server, for the next Offset: the skipped too.
        let served = reply.rows.len() + reply.bad_lines.len();
        if full {
            seen.extend(read.bad_keys);
            reconcilable &= !read.unkeyed;
        }
        let keys: Vec<String> = page.iter().map(|l| l.listing_key.clone()).collect();
        if !keys.is_empty() && previous.as_ref() == Some(&keys) {
            return Err(RetsError::RepeatedPage { offset }.into());
        }
        let done = cache.import(source, &page)?;
        report.pages += 1;
        report.import.added += done.added;
        report.import.updated += done.updated;
        report.import.unchanged += done.unchanged;
        report.import.shards = report.import.shards.max(done.shards);
        // Photos before the checkpoint: a pull stopped among them fetches
        // the rest next time.
        if let Some(cache) = &options.photos {
            pull_photos(client, cache, source, &page, &mut report).await?;
        }
        newest = page
            .iter()
            .filter_map(|l| l.modification_timestamp)
            .chain(newest)
            .max();
        if full {
            seen.extend(keys.iter().cloned());
        }
        let next = offset + served;
        let more = served > 0 && (reply.max_rows || total.is_some_and(|t| (next as u64) <= t));
        if more && !full {
            let note = serde_json::to_string(&Checkpoint {
                query: query.clone(),
                offset: next,
                newest,
            })
            .map_err(|e| {
                crate::sink::SinkError::new(format!("cannot write the pull checkpoint: {e}"), false)
            })?;
            cache.set_checkpoint(source, Some(&note))?;
        }
        let imported = report.import.added + report.import.updated + report.import.unchanged;
        progress(Progress {
            done: imported as u64,
            total,
            elapsed: started.elapsed(),
            photos: report.photos.photos as u64,
        });
        if !more {
            break;
        }
        previous = Some(keys);
        offset = next;
    }
    if let Some(at) = newest {
        cache.set_mark(source, at)?;
    }
    cache.set_checkpoint(source, None)?;
    if full && reconcilable {
        report.import.removed = cache.reconcile(source, &seen)?;
    } else if full {
        report.problem(
            "listings the MLS no longer has were not removed: a row whose key could not be read was skipped, and it might have been one of them".into(),
        );
    }
    Ok(report)
}

/// Fetches (GetObject) the photos of the page's listings whose set is new
/// or changed. One listing's failure is a problem in the report; a disk
/// error stops the pull.
async fn pull_photos(
    client: &mut RetsClient,
    cache: &PhotoCache,
    source: &str,
    page: &[Listing],
    report: &mut PullReport,
) -> Result<(), PullError> {
    let mut problems = Vec::new();
    for l in page {
        if !photos::due(cache, source, l)? {
            continue;
        }
        match photos::collect_rets(client, cache, source, &l.listing_key).await {
            Ok(got) => photos::settle(got, cache, source, l, &mut report.photos, &mut problems)?,
            Err(e) => problems.push(format!("{}: photos not fetched: {e}", l.listing_key)),
        }
    }
    for p in problems {
        report.problem(p);
    }
    Ok(())
}
