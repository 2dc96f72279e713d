//! Incremental replication from a RESO server into the listing cache.
//!
//! The high-water mark — the newest `ModificationTimestamp` imported — is
//! kept per source as an instant, and written after each page's import has
//! committed: a pull stopped by a crash or a lost network resumes from the
//! last whole page, with no gap (the query is `ge` the mark) and no
//! duplicate (importing a listing again changes nothing). A `full` pull
//! ignores the mark and, once every page is in, drops the listings of the
//! source the server no longer returns (their team notes stay).
//!
//! Paging follows `@odata.nextLink`. A server that sends none after a full
//! page is paged by timestamp windows: the next query is `ge` the newest
//! timestamp so far with `$skip` the number of records already fetched at
//! exactly that instant (the order is timestamp, then key), so records
//! that share a timestamp across the window edge are neither fetched twice
//! nor skipped — however many share it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::reso::{ResoClient, ResoError};
use crate::sink::ListingImport;
use crate::sink::ListingSink;

/// How far a pull has got.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    pub done: u64,
    /// What the server said it has (`@odata.count`), when it said.
    pub total: Option<u64>,
    pub elapsed: Duration,
    /// Photos fetched so far (a pull with photos).
    pub photos: u64,
}

impl Progress {
    /// Listings per second so far.
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    /// Time left at the rate so far, when the total is known.
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        let rate = self.rate();
        (rate > 0.0).then(|| Duration::from_secs_f64(total.saturating_sub(self.done) as f64 / rate))
    }
}

/// How to pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Everything, not just what changed since the last pull; the
    /// listings the MLS no longer returns are removed at the end.
    pub full: bool,
    /// Skip (and report) rows that cannot be read instead of stopping.
    pub skip_bad: bool,
    /// Fetch the photos of new and changed listings into this cache as
    /// the pull goes (while the MLS's links are fresh).
    pub photos: Option<crate::photos::PhotoCache>,
}

impl PullOptions {
    /// A full pull.
    pub fn full() -> Self {
        PullOptions {
            full: true,
            ..PullOptions::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Reso(#[from] ResoError),
    #[error(transparent)]
    Rets(#[from] crate::rets::client::RetsError),
    /// The listing cache failed (a full disk, a damaged profile).
    #[error(transparent)]
    Cache(#[from] crate::sink::SinkError),
    #[error(
        "no secret is saved for the MLS connection '{0}' on this device; add the connection again"
    )]
    NoSecret(String),
    #[error("{0}")]
    Secrets(String),
    #[error(transparent)]
    Photos(#[from] crate::photos::PhotoError),
    #[error(
        "the RESO connection '{0}' does not ask for Media, so a pull cannot fetch photos; add it again with --media"
    )]
    NoMedia(String),
}

impl PullError {
    /// The person can fix it (a refused sign-in, a missing secret), as
    /// opposed to a server or network failure.
    pub fn is_user_error(&self) -> bool {
        match self {
            PullError::Reso(ResoError::Auth { .. })
            | PullError::Rets(crate::rets::client::RetsError::Auth(_))
            | PullError::Rets(crate::rets::client::RetsError::UnknownClass { .. })
            | PullError::NoSecret(_)
            | PullError::NoMedia(_)
            | PullError::Secrets(_) => true,
            PullError::Cache(c) => c.is_user_error(),
            _ => false,
        }
    }
}

/// Which kind of URL is being fetched (a server-sent next link is never
/// rewritten).
#[derive(Debug, Clone, Copy)]
enum Query {
    First,
    Window(chrono::DateTime<chrono::Utc>, usize),
    Next,
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullReport {
    pub pages: usize,
    pub import: ListingImport,
    /// Records skipped or kept in part, in words (the first
    /// [`MAX_PROBLEMS`]); `problem_count` counts them all.
    pub problems: Vec<String>,
    pub problem_count: usize,
    /// Photos fetched as the pull went (with [`PullOptions::photos`]).
    pub photos: crate::photos::PhotoTally,
}

/// Problems listed in a report at most (all are counted).
pub const MAX_PROBLEMS: usize = 200;

impl PullReport {
    /// Notes a record that was skipped or kept in part.
    pub fn problem(&mut self, text: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS {
            tracing::warn!("{text}");
            self.problems.push(text);
        }
    }
}

/// Pulls `source`'s listings modified since its mark (all of them when
/// `full`), importing page by page and reporting progress after each.
pub async fn pull(
    cache: &mut (dyn ListingSink + Send),
    source: &str,
    client: &mut ResoClient,
    options: &PullOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<PullReport, PullError> {
    let saved = cache.usage(source)?;
    client.governor.load(saved.as_deref());
    let result = run(cache, source, client, options, progress).await;
    // What was used counts toward the vendor's limits next time too.
    cache.set_usage(source, &client.governor.save())?;
    result
}

// The page loop of a RESO pull with its recoveries (a refused option, a
// missing nextLink, a window past the page limit, a checkpoint to resume):
// long because the recoveries share the loop's state, each commented.
async fn run(
    cache: &mut (dyn ListingSink + Send),
    source: &str,
    client: &mut ResoClient,
    options: &PullOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<PullReport, PullError> {
    let full = options.full;
    if options.photos.is_some() && !client.expands_media() {
        return Err(PullError::NoMedia(source.to_string()));
    }
    let started = Instant::now();
    let since = if full { None } else { cache.mark(source)? };
    let mut query = Query::First;
    let mut url = client.first_url(since);
    let mut report = PullReport::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut total = None;
    // Records the current query (first or window) has produced, counting
    // those skipped by `$skip`: with `@odata.count` it tells whether a
    // short page without a next link is really the end.
    let mut query_fetched = 0usize;
    // The newest timestamp fetched and how many records had exactly it.
    let mut edge: Option<(chrono::DateTime<chrono::Utc>, usize)> = None;
    loop {
        let page = match client.page(&url).await {
            Ok(p) => p,
            // A server that cannot sort or skip: ask again without it.
            Err(e) if !matches!(query, Query::Next) && client.degrade(&e) => {
                tracing::warn!("{e}; asking again in a simpler form");
                url = match query {
                    Query::First => client.first_url(since),
                    Query::Window(at, n) => client.window_url(Some(at), n),
                    Query::Next => url,
                };
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut timestamps_known = true;
        for l in &page.listings {
            match (l.modification_timestamp, &mut edge) {
                (None, _) => timestamps_known = false,
                (Some(t), Some((at, n))) if t == *at => *n += 1,
                (Some(t), Some((at, _))) if t < *at => timestamps_known = false,
                (Some(t), _) => edge = Some((t, 1)),
            }
        }
        query_fetched += page.listings.len()
            + page
                .problems
                .iter()
                .filter(|p| p.ends_with("skipped"))
                .count();
        for p in &page.problems {
            report.problem(format!("{url}: {p}"));
        }
        total = total.or(page.total);
        let done = cache.import(source, &page.listings)?;
        report.pages += 1;
        report.import.added += done.added;
        report.import.updated += done.updated;
        report.import.unchanged += done.unchanged;
        report.import.shards = report.import.shards.max(done.shards);
        // Photos before the mark: a pull stopped among them fetches the
        // rest next time.
        if let Some(cache) = &options.photos {
            let mut problems = Vec::new();
            let http = client.http().clone();
            crate::photos::pull_media(
                &http,
                cache,
                source,
                &page.listings,
                &mut report.photos,
                &mut problems,
            )
            .await?;
            for p in problems {
                report.problem(p);
            }
        }
        if let Some(newest) = page
            .listings
            .iter()
            .filter_map(|l| l.modification_timestamp)
            .max()
        {
            cache.set_mark(source, newest)?;
        }
        if full {
            seen.extend(page.listings.iter().map(|l| l.listing_key.clone()));
        }
        progress(Progress {
            done: report.import.added as u64
                + report.import.updated as u64
                + report.import.unchanged as u64,
            total,
            elapsed: started.elapsed(),
            photos: report.photos.photos as u64,
        });
        let count_says_more = page.total.is_some_and(|t| (query_fetched as u64) < t);
        match page.next {
            Some(next) => {
                url = next;
                query = Query::Next;
            }
            None if page.listings.len() >= client.page_size()
                || (count_says_more && !page.listings.is_empty()) =>
            {
                let (Some((at, n)), true) = (edge, timestamps_known) else {
                    return Err(ResoError::NotOData {
                        url,
                        reason: "a page without @odata.nextLink while more records remain, and records without ordered ModificationTimestamps, so the next page cannot be asked for".into(),
                    }
                    .into());
                };
                let next = client.window_url(Some(at), n);
                if next == url {
                    return Err(ResoError::NotOData {
                        url,
                        reason: "the server sent the same window again; stopped so nothing loops"
                            .into(),
                    }
                    .into());
                }
                url = next;
                query = Query::Window(at, n);
                query_fetched = n;
            }
            None => break,
        }
    }
    if full {
        report.import.removed = cache.reconcile(source, &seen)?;
    }
    Ok(report)
}
