//! Mentions queued for email, on PostgreSQL. Several nodes claim with
//! `FOR UPDATE SKIP LOCKED`, so each mention is sent by one.

use deadpool_postgres::GenericClient;

use super::PgStore;
use crate::store::{MentionMail, MentionReader, NewMention, StoreError};

/// Queues mentions in the view's transaction; one already queued is left.
pub(super) async fn queue(
    c: &impl GenericClient,
    team: i64,
    mentions: &[NewMention],
    now: i64,
) -> Result<(), StoreError> {
    if mentions.is_empty() {
        return Ok(());
    }
    let stmt = c
        .prepare(
            "INSERT INTO mention_mail (mention, team_id, name, author, board, title, text, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (mention) DO NOTHING",
        )
        .await?;
    for m in mentions {
        c.execute(
            &stmt,
            &[
                &m.key, &team, &m.name, &m.author, &m.board, &m.title, &m.text, &now,
            ],
        )
        .await?;
    }
    Ok(())
}

impl PgStore {
    pub(super) async fn pg_claim_mentions(
        &self,
        now: i64,
        stale: i64,
        limit: i64,
    ) -> Result<Vec<MentionMail>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "UPDATE mention_mail SET claimed_at = $1 WHERE id IN (
                     SELECT id FROM mention_mail WHERE sent_at IS NULL
                       AND (claimed_at IS NULL OR claimed_at < $2)
                     ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
                 RETURNING id, team_id, mention, name, author, board, title, text",
                &[&now, &stale, &limit],
            )
            .await?;
        let mut out: Vec<MentionMail> = rows
            .iter()
            .map(|r| MentionMail {
                id: r.get(0),
                team: r.get(1),
                mention: NewMention {
                    key: r.get(2),
                    name: r.get(3),
                    author: r.get(4),
                    board: r.get(5),
                    title: r.get(6),
                    text: r.get(7),
                },
            })
            .collect();
        out.sort_by_key(|m| m.id);
        Ok(out)
    }

    pub(super) async fn pg_finish_mention(
        &self,
        id: i64,
        sent: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        if sent {
            c.execute(
                "UPDATE mention_mail SET sent_at = $2 WHERE id = $1",
                &[&id, &now],
            )
            .await?;
        } else {
            c.execute(
                "UPDATE mention_mail SET claimed_at = NULL WHERE id = $1",
                &[&id],
            )
            .await?;
        }
        Ok(())
    }

    pub(super) async fn pg_mention_readers(
        &self,
        team: i64,
    ) -> Result<Vec<MentionReader>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT a.id, a.email, a.name FROM accounts a JOIN members m ON m.account_id = a.id
                 WHERE m.team_id = $1 AND a.mention_mail ORDER BY a.id",
                &[&team],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| MentionReader {
                account: r.get(0),
                email: r.get(1),
                name: r.get(2),
            })
            .collect())
    }
}
