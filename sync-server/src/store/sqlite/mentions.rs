//! Mentions queued for email, on SQLite.

use rusqlite::{Transaction, params};

use super::Inner;
use crate::store::{MentionMail, MentionReader, NewMention, StoreError};

/// Queues mentions in the view's transaction; one already queued is left.
pub(super) fn queue(
    tx: &Transaction<'_>,
    team: i64,
    mentions: &[NewMention],
    now: i64,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO mention_mail (mention, team_id, name, author, board, title, text, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (mention) DO NOTHING",
    )?;
    for m in mentions {
        stmt.execute(params![
            m.key, team, m.name, m.author, m.board, m.title, m.text, now
        ])?;
    }
    Ok(())
}

impl Inner {
    pub(super) fn claim_mentions(
        &self,
        now: i64,
        stale: i64,
        limit: i64,
    ) -> Result<Vec<MentionMail>, StoreError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE mention_mail SET claimed_at = ?1 WHERE id IN (
                     SELECT id FROM mention_mail WHERE sent_at IS NULL
                       AND (claimed_at IS NULL OR claimed_at < ?2) ORDER BY id LIMIT ?3)
                 RETURNING id, team_id, mention, name, author, board, title, text",
            )?;
            let rows = stmt.query_map(params![now, stale, limit], |r| {
                Ok(MentionMail {
                    id: r.get(0)?,
                    team: r.get(1)?,
                    mention: NewMention {
                        key: r.get(2)?,
                        name: r.get(3)?,
                        author: r.get(4)?,
                        board: r.get(5)?,
                        title: r.get(6)?,
                        text: r.get(7)?,
                    },
                })
            })?;
            let mut out: Vec<MentionMail> = rows.collect::<rusqlite::Result<_>>()?;
            out.sort_by_key(|m| m.id);
            Ok(out)
        })
    }

    pub(super) fn finish_mention(&self, id: i64, sent: bool, now: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            if sent {
                tx.execute(
                    "UPDATE mention_mail SET sent_at = ?2 WHERE id = ?1",
                    params![id, now],
                )?;
            } else {
                tx.execute(
                    "UPDATE mention_mail SET claimed_at = NULL WHERE id = ?1",
                    [id],
                )?;
            }
            Ok(())
        })
    }

    pub(super) fn mention_readers(&self, team: i64) -> Result<Vec<MentionReader>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT a.id, a.email, a.name FROM accounts a JOIN members m ON m.account_id = a.id
                 WHERE m.team_id = ?1 AND a.mention_mail = 1 ORDER BY a.id",
            )?;
            let rows = stmt.query_map([team], |r| {
                Ok(MentionReader {
                    account: r.get(0)?,
                    email: r.get(1)?,
                    name: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
