//! Mentions by email. A new comment's `@name` mentions are queued in the
//! same transaction that writes the comment into the relay's view (by the
//! indexer, or by the REST API that wrote it); a task here sends the queue:
//! each mention to the team's members whose name, written as an `@name`
//! (lower case, words joined by dots), is the one mentioned, unless they
//! turned mention emails off or wrote the comment themselves. Claims in
//! storage make several nodes send each mention once; one whose send
//! failed is tried again at the next round.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use porchlight_model::board::{Task, mentions_in};
use porchlight_model::people::Renames;

use crate::AppState;
use crate::store::{MentionReader, NewMention, mention_name, now_ms};

/// Between the names a queued mention reaches (the person's name now,
/// then the ones they had before on the board).
const NAMES: &str = "\u{1f}";

/// Mentions claimed per round.
const BATCH: i64 = 50;
/// A claim older than this is taken again (its node stopped mid-send).
const STALE_MS: i64 = 5 * 60_000;

/// The mentions in `new`'s comments that `old` did not have. `renames`
/// are the board's (see `porchlight_model::people`): a mention reaches
/// the member whose name is the person's name now or one they had before
/// on that board.
pub fn new_mentions(
    board: (&str, &str),
    old: Option<&Task>,
    new: &Task,
    renames: &Renames,
) -> Vec<NewMention> {
    if new.deleted || new.archived {
        return vec![];
    }
    let mut out = Vec::new();
    for c in &new.comments {
        if old.is_some_and(|o| o.comments.iter().any(|oc| oc.id == c.id)) {
            continue;
        }
        // Comments from clients that do not store mentions are read.
        let names = if c.mentions.is_empty() {
            mentions_in(&c.text)
        } else {
            c.mentions.clone()
        };
        for name in names {
            let name = renames.resolve(&name);
            out.push(NewMention {
                key: format!("{}\u{1f}{}\u{1f}{}\u{1f}{name}", board.0, new.id, c.id),
                name: renames.names_of(&name).join(NAMES),
                author: c.author.clone(),
                board: board.1.to_string(),
                title: new.title.clone(),
                text: c.text.clone(),
            });
        }
    }
    out
}

/// Starts the mention mailer (nothing without `--smtp`).
pub fn spawn(state: Arc<AppState>) -> Option<tokio::task::JoinHandle<()>> {
    state.mailer.as_ref()?;
    let every = Duration::from_millis(state.config.limits.mention_check_ms.max(50));
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match send_queued(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "mention emails sent"),
                Err(e) => tracing::error!(error = %e, "cannot send mention emails"),
            }
        }
    }))
}

/// Sends what is queued; how many emails went out.
pub async fn send_queued(state: &AppState) -> anyhow::Result<usize> {
    let Some(mailer) = &state.mailer else {
        return Ok(0);
    };
    let now = now_ms();
    let batch = state
        .store
        .claim_mentions(now, now - STALE_MS, BATCH)
        .await?;
    let mut readers: HashMap<i64, Vec<MentionReader>> = HashMap::new();
    let mut teams: HashMap<i64, String> = HashMap::new();
    let mut sent = 0;
    for m in batch {
        if let std::collections::hash_map::Entry::Vacant(e) = readers.entry(m.team) {
            e.insert(state.store.mention_readers(m.team).await?);
            let name = state
                .store
                .team_info(m.team)
                .await?
                .map(|(name, _)| name)
                .unwrap_or_default();
            teams.insert(m.team, name);
        }
        let author = mention_name(&m.mention.author);
        let to: Vec<&MentionReader> = readers
            .get(&m.team)
            .map(|r| {
                r.iter()
                    .filter(|r| {
                        let name = mention_name(&r.name);
                        m.mention.name.split(NAMES).any(|n| n == name) && name != author
                    })
                    .collect()
            })
            .unwrap_or_default();
        let place = match teams.get(&m.team).map(String::as_str) {
            Some("") | None => m.mention.board.clone(),
            Some(team) => format!("{team} / {}", m.mention.board),
        };
        let mail =
            crate::mail::mention(&m.mention.author, &m.mention.title, &place, &m.mention.text);
        let mut ok = true;
        for r in &to {
            match mailer.send(&r.email, &mail).await {
                Ok(()) => sent += 1,
                Err(e) => {
                    tracing::warn!(account = r.account, error = %e, "a mention email was not sent; tried again at the next round");
                    ok = false;
                }
            }
        }
        state.store.finish_mention(m.id, ok, now_ms()).await?;
    }
    Ok(sent)
}
