//! The daily digest's settings and claims, and the teams' retention of
//! deleted tasks, on PostgreSQL.

use super::PgStore;
use crate::store::{DigestReader, MailSettings, StoreError, ViewTask};

impl PgStore {
    pub(super) async fn pg_mail_settings(
        &self,
        account: i64,
    ) -> Result<Option<MailSettings>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT time_zone, digest, mention_mail FROM accounts WHERE id = $1",
                &[&account],
            )
            .await?;
        Ok(row.map(|r| MailSettings {
            time_zone: r.get(0),
            digest: r.get(1),
            mentions: r.get(2),
        }))
    }

    pub(super) async fn pg_set_mail_settings(
        &self,
        account: i64,
        s: &MailSettings,
    ) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "UPDATE accounts SET time_zone = $2, digest = $3, mention_mail = $4 WHERE id = $1",
                &[&account, &s.time_zone, &s.digest, &s.mentions],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn pg_digest_readers(&self) -> Result<Vec<DigestReader>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, email, name, time_zone, digest_sent_on, digest_token FROM accounts a
                 WHERE digest AND EXISTS (SELECT 1 FROM members m WHERE m.account_id = a.id)
                 ORDER BY id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DigestReader {
                account: r.get(0),
                email: r.get(1),
                name: r.get(2),
                time_zone: r.get(3),
                sent_on: r.get(4),
                token: r.get(5),
            })
            .collect())
    }

    pub(super) async fn pg_claim_digest(
        &self,
        account: i64,
        day: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE accounts SET digest_sent_on = $2, digest_token = COALESCE(digest_token, $3)
                 WHERE id = $1 AND digest AND (digest_sent_on IS NULL OR digest_sent_on <> $2)",
                &[&account, &day, &token],
            )
            .await?;
        Ok(n == 1)
    }

    pub(super) async fn pg_release_digest(
        &self,
        account: i64,
        day: &str,
        previous: Option<&str>,
    ) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "UPDATE accounts SET digest_sent_on = $3 WHERE id = $1 AND digest_sent_on = $2",
                &[&account, &day, &previous],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn pg_unsubscribe(&self, token: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "UPDATE accounts SET digest = FALSE WHERE digest_token = $1 RETURNING email",
                &[&token],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub(super) async fn pg_retention(&self, team: i64) -> Result<Option<i32>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT deleted_task_days FROM teams WHERE id = $1",
                &[&team],
            )
            .await?;
        Ok(row.and_then(|r| r.get(0)))
    }

    pub(super) async fn pg_set_retention(
        &self,
        team: i64,
        days: Option<i32>,
    ) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "UPDATE teams SET deleted_task_days = $2 WHERE id = $1",
                &[&team, &days],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn pg_retaining_teams(&self) -> Result<Vec<(i64, i32)>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, deleted_task_days FROM teams WHERE deleted_task_days IS NOT NULL ORDER BY id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub(super) async fn pg_stale_deleted_tasks(
        &self,
        team: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<ViewTask>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {} FROM view_tasks WHERE team_id = $1 AND deleted AND updated_at < $2
                     ORDER BY updated_at LIMIT $3",
                    super::view::TASK_COLUMNS
                ),
                &[&team, &before, &limit],
            )
            .await?;
        Ok(rows.iter().map(super::view::task_row).collect())
    }
}
