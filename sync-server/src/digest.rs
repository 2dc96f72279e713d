//! The daily digest: once a day, from `limits.digest_hour` in each
//! person's own time zone, an email listing the tasks assigned to them
//! that are overdue or due that day (none: no email, and the day stays
//! open until something is due). People turn it off
//! with `porchlight account mail --digest off` or with the one-click
//! unsubscribe link every digest carries (RFC 8058). Which day was sent is
//! claimed in storage before sending, so several nodes send it once; a
//! send that fails gives the claim back and is tried at the next check.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Timelike, Utc};

use crate::AppState;
use crate::mail::{DigestItem, Mailer};
use crate::store::{DigestReader, TaskQuery};

/// Tasks read from the view per query.
const PAGE: i64 = 1000;
/// Tasks listed in one digest at most (the rest are counted).
const MAX_ITEMS: usize = 50;

/// Starts the digest task (nothing without `--smtp`).
pub fn spawn(state: Arc<AppState>) -> Option<tokio::task::JoinHandle<()>> {
    state.mailer.as_ref()?;
    let every = Duration::from_millis(state.config.limits.digest_check_ms.max(100));
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match send_due(&state, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "daily digests sent"),
                Err(e) => tracing::error!(error = %e, "cannot look for daily digests"),
            }
        }
    }))
}

/// The zone a person set, or UTC (also for a name that no longer parses).
pub fn zone_of(name: Option<&str>) -> chrono_tz::Tz {
    name.and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC)
}

/// Sends every digest due at `now`; how many went out.
pub async fn send_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let Some(mailer) = &state.mailer else {
        return Ok(0);
    };
    let mut sent = 0;
    for reader in state.store.digest_readers().await? {
        let zone = zone_of(reader.time_zone.as_deref());
        let local = now.with_timezone(&zone);
        if local.hour() < u32::from(state.config.limits.digest_hour) {
            continue;
        }
        let day = local.date_naive().to_string();
        if reader.sent_on.as_deref() == Some(day.as_str()) {
            continue;
        }
        match send_one(state, mailer, &reader, &day, now, zone).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(account = reader.account, error = %e, "a daily digest was not sent; tried again at the next check");
            }
        }
    }
    Ok(sent)
}

/// One person's digest of `day`: claimed, built and sent (false when there
/// was nothing due or another node claimed it).
async fn send_one(
    state: &AppState,
    mailer: &Mailer,
    reader: &DigestReader,
    day: &str,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> anyhow::Result<bool> {
    let local_day = now.with_timezone(&zone).date_naive();
    let end_of_day = local_day
        .succ_opt()
        .and_then(|d| {
            zone.from_local_datetime(&d.and_time(NaiveTime::MIN))
                .earliest()
        })
        .map_or(now, |t| t.with_timezone(&Utc));
    let items = due_items(state, reader, now, end_of_day, zone).await?;
    // Nothing due: nothing sent, and the day stays open (a task due today
    // that is made later still brings the digest).
    if items.is_empty() {
        return Ok(false);
    }
    let token = porchlight_model::ids::random_hex(24);
    if !state
        .store
        .claim_digest(reader.account, day, &token)
        .await?
    {
        return Ok(false);
    }
    let token = reader.token.clone().unwrap_or(token);
    let link = format!("{}/api/unsubscribe/{token}", mailer.public_url);
    let heading = local_day.format("%a %-d %b").to_string();
    let mail = crate::mail::digest(&reader.name, &heading, &items, &link);
    if let Err(e) = mailer.send(&reader.email, &mail).await {
        state
            .store
            .release_digest(reader.account, day, reader.sent_on.as_deref())
            .await?;
        anyhow::bail!(e);
    }
    state.metrics.digests_sent.inc();
    Ok(true)
}

/// The open tasks assigned to `reader` due before `until`, over every
/// team they belong to, overdue first, then by due time.
async fn due_items(
    state: &AppState,
    reader: &DigestReader,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> anyhow::Result<Vec<DigestItem>> {
    let store = &state.store;
    let mut found: Vec<(DateTime<Utc>, DigestItem)> = Vec::new();
    let today = now.with_timezone(&zone).date_naive();
    for team in store.teams(reader.account).await? {
        let boards = crate::view::boards_of(store, team.id).await?;
        let query = TaskQuery {
            team: team.id,
            with_due: true,
            due_before: Some(until.timestamp_millis()),
            limit: PAGE,
            ..TaskQuery::default()
        };
        let mine = crate::view::tasks_where(store, query, &boards, |t| {
            crate::view::assigned_to(t, &reader.name)
        })
        .await?;
        for task in mine {
            let Some(due) = &task.due else { continue };
            let board = boards
                .get(&task.board.to_string())
                .map(|(name, _)| name.as_str())
                .unwrap_or("a board");
            let local = due.at.with_timezone(&zone);
            // An all-day date is a day of the task's own zone.
            let day = if due.all_day {
                due.at.with_timezone(&zone_of(Some(&due.tz))).date_naive()
            } else {
                local.date_naive()
            };
            if day > today {
                continue;
            }
            let overdue = if due.all_day {
                day < today
            } else {
                due.at < now
            };
            let when = match (overdue, due.all_day) {
                (false, true) => "today".to_string(),
                (false, false) => format!("today {}", local.format("%H:%M")),
                (true, true) => day.format("%a %-d %b").to_string(),
                (true, false) => local.format("%a %-d %b %H:%M").to_string(),
            };
            found.push((
                due.at,
                DigestItem {
                    title: task.title.clone(),
                    place: format!("{} / {board}", team.name),
                    when,
                    overdue,
                },
            ));
        }
    }
    found.sort_by(|a, b| b.1.overdue.cmp(&a.1.overdue).then(a.0.cmp(&b.0)));
    let more = found.len().saturating_sub(MAX_ITEMS);
    let mut items: Vec<DigestItem> = found.into_iter().take(MAX_ITEMS).map(|(_, i)| i).collect();
    if more > 0 {
        items.push(DigestItem {
            title: format!("… and {more} more"),
            place: "see the app".into(),
            when: String::new(),
            overdue: false,
        });
    }
    Ok(items)
}
