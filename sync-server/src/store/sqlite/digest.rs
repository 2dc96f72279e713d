//! The daily digest's settings and claims, and the teams' retention of
//! deleted tasks, on SQLite.

use rusqlite::{OptionalExtension, params};

use super::Inner;
use crate::store::{DigestReader, MailSettings, StoreError, ViewTask};

impl Inner {
    pub(super) fn mail_settings(&self, account: i64) -> Result<Option<MailSettings>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT time_zone, digest, mention_mail FROM accounts WHERE id = ?1",
                [account],
                |r| {
                    Ok(MailSettings {
                        time_zone: r.get(0)?,
                        digest: r.get(1)?,
                        mentions: r.get(2)?,
                    })
                },
            )
            .optional()?)
        })
    }

    pub(super) fn set_mail_settings(
        &self,
        account: i64,
        s: &MailSettings,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE accounts SET time_zone = ?2, digest = ?3, mention_mail = ?4 WHERE id = ?1",
                params![account, s.time_zone, s.digest, s.mentions],
            )?;
            Ok(())
        })
    }

    pub(super) fn digest_readers(&self) -> Result<Vec<DigestReader>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, email, name, time_zone, digest_sent_on, digest_token FROM accounts a
                 WHERE digest = 1 AND EXISTS (SELECT 1 FROM members m WHERE m.account_id = a.id)
                 ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(DigestReader {
                    account: r.get(0)?,
                    email: r.get(1)?,
                    name: r.get(2)?,
                    time_zone: r.get(3)?,
                    sent_on: r.get(4)?,
                    token: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn claim_digest(
        &self,
        account: i64,
        day: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE accounts SET digest_sent_on = ?2, digest_token = COALESCE(digest_token, ?3)
                 WHERE id = ?1 AND digest = 1 AND (digest_sent_on IS NULL OR digest_sent_on <> ?2)",
                params![account, day, token],
            )?;
            Ok(n == 1)
        })
    }

    pub(super) fn release_digest(
        &self,
        account: i64,
        day: &str,
        previous: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE accounts SET digest_sent_on = ?3 WHERE id = ?1 AND digest_sent_on = ?2",
                params![account, day, previous],
            )?;
            Ok(())
        })
    }

    pub(super) fn unsubscribe(&self, token: &str) -> Result<Option<String>, StoreError> {
        self.write(|tx| {
            let email: Option<String> = tx
                .query_row(
                    "SELECT email FROM accounts WHERE digest_token = ?1",
                    [token],
                    |r| r.get(0),
                )
                .optional()?;
            if email.is_some() {
                tx.execute(
                    "UPDATE accounts SET digest = 0 WHERE digest_token = ?1",
                    [token],
                )?;
            }
            Ok(email)
        })
    }

    pub(super) fn retention(&self, team: i64) -> Result<Option<i32>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT deleted_task_days FROM teams WHERE id = ?1",
                [team],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
        })
    }

    pub(super) fn set_retention(&self, team: i64, days: Option<i32>) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE teams SET deleted_task_days = ?2 WHERE id = ?1",
                params![team, days],
            )?;
            Ok(())
        })
    }

    pub(super) fn retaining_teams(&self) -> Result<Vec<(i64, i32)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, deleted_task_days FROM teams WHERE deleted_task_days IS NOT NULL ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn stale_deleted_tasks(
        &self,
        team: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<ViewTask>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {} FROM view_tasks WHERE team_id = ?1 AND deleted = 1 AND updated_at < ?2
                 ORDER BY updated_at LIMIT ?3",
                super::view::TASK_COLUMNS
            ))?;
            let rows = stmt.query_map(params![team, before, limit], super::view::task_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
