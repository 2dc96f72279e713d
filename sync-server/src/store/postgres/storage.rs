//! [`Storage`] for [`PgStore`]: the one-statement methods here, the
//! transactions in the per-area files.

use async_trait::async_trait;
use porchlight_api::accounts::DeviceInfo;
use porchlight_api::apikeys::{ApiKeyInfo, Scope};
use porchlight_api::audit::AuditEvent;

use super::PgStore;
use crate::store::{
    Audit, CalendarFeed, Chunk, Created, Delivery, DigestReader, Identity, ListingUpdate,
    MailSettings, MemberChange, MemberInfo, MentionMail, MentionReader, NewEvent, Outcome, Role,
    Storage, StoreError, TaskQuery, TeamInfo, ViewBoard, ViewListing, ViewTask, ViewUpdate,
    Webhook, now_ms,
};

#[async_trait]
impl Storage for PgStore {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn chunk_ids_visible_in_order(&self) -> bool {
        false
    }

    async fn create_account(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        invite_hash: Option<&str>,
    ) -> Result<Created, StoreError> {
        self.pg_create_account(email, name, password_hash, invite_hash)
            .await
    }

    async fn is_admin(&self, account: i64) -> Result<bool, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt("SELECT is_admin FROM accounts WHERE id = $1", &[&account])
            .await?;
        Ok(row.is_some_and(|r| r.get(0)))
    }

    async fn account_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .client()
            .await?
            .query_one("SELECT COUNT(*) FROM accounts", &[])
            .await?
            .get(0))
    }

    async fn password_of(&self, email: &str) -> Result<Option<(i64, String)>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT id, password_hash FROM accounts WHERE email = $1",
                &[&email],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn password_of_account(&self, account: i64) -> Result<Option<String>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT password_hash FROM accounts WHERE id = $1",
                &[&account],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn add_device(
        &self,
        account: i64,
        name: &str,
        token_hash: &str,
        max_devices: u32,
        token_days: u32,
    ) -> Result<i64, StoreError> {
        self.pg_add_device(account, name, token_hash, max_devices, token_days)
            .await
    }

    async fn device_identity(
        &self,
        token_hash: &str,
        token_days: u32,
    ) -> Result<Option<Identity>, StoreError> {
        self.pg_device_identity(token_hash, token_days).await
    }

    async fn revoke_device(&self, account: i64, device: i64) -> Result<bool, StoreError> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE devices SET revoked = TRUE WHERE id = $1 AND account_id = $2 AND NOT revoked",
                &[&device, &account],
            )
            .await?;
        Ok(n > 0)
    }

    async fn devices(
        &self,
        account: i64,
        current: i64,
        token_days: u32,
    ) -> Result<Vec<DeviceInfo>, StoreError> {
        self.pg_devices(account, current, token_days).await
    }

    async fn set_password(
        &self,
        account: i64,
        password_hash: &str,
        keep_device: i64,
    ) -> Result<Vec<i64>, StoreError> {
        self.pg_set_password(account, password_hash, keep_device)
            .await
    }

    async fn create_api_key(
        &self,
        team: i64,
        by: i64,
        name: &str,
        scope: Scope,
        key_hash: &str,
        expires_at: Option<i64>,
    ) -> Result<ApiKeyInfo, StoreError> {
        self.pg_create_api_key(team, by, name, scope, key_hash, expires_at)
            .await
    }

    async fn api_keys(&self, team: i64) -> Result<Vec<ApiKeyInfo>, StoreError> {
        self.pg_api_keys(team).await
    }

    async fn revoke_api_key(&self, team: i64, id: i64) -> Result<bool, StoreError> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE api_keys SET revoked = TRUE WHERE id = $1 AND team_id = $2 AND NOT revoked",
                &[&id, &team],
            )
            .await?;
        Ok(n > 0)
    }

    async fn key_identity(&self, key_hash: &str) -> Result<Option<Identity>, StoreError> {
        self.pg_key_identity(key_hash).await
    }

    async fn create_team(
        &self,
        account: i64,
        name: &str,
        workspace: &str,
        max_owned: u32,
    ) -> Result<i64, StoreError> {
        self.pg_create_team(account, name, workspace, max_owned)
            .await
    }

    async fn teams(&self, account: i64) -> Result<Vec<TeamInfo>, StoreError> {
        self.pg_teams(account).await
    }

    async fn team_info(&self, team: i64) -> Result<Option<(String, String)>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT name, workspace_doc FROM teams WHERE id = $1",
                &[&team],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn team_bytes(&self, team: i64) -> Result<i64, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt("SELECT stored_bytes FROM teams WHERE id = $1", &[&team])
            .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    async fn role(&self, account: i64, team: i64) -> Result<Option<Role>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT role FROM members WHERE team_id = $1 AND account_id = $2",
                &[&team, &account],
            )
            .await?;
        Ok(row.and_then(|r| Role::parse(r.get::<_, &str>(0))))
    }

    async fn members(&self, team: i64) -> Result<Vec<MemberInfo>, StoreError> {
        self.pg_members(team).await
    }

    async fn change_member(
        &self,
        team: i64,
        actor: i64,
        target: i64,
        change: MemberChange,
    ) -> Result<(), StoreError> {
        self.pg_change_member(team, actor, target, change).await
    }

    async fn transfer_ownership(&self, team: i64, owner: i64, to: i64) -> Result<(), StoreError> {
        self.pg_transfer(team, owner, to).await
    }

    async fn create_invite(
        &self,
        team: i64,
        role: Role,
        expires_at: i64,
        by: i64,
        code_hash: &str,
    ) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO invites (code_hash, team_id, role, expires_at, created_by) VALUES ($1, $2, $3, $4, $5)",
                &[&code_hash, &team, &role.as_str(), &expires_at, &by],
            )
            .await?;
        Ok(())
    }

    async fn join(&self, account: i64, code_hash: &str) -> Result<Option<(i64, Role)>, StoreError> {
        self.pg_join(account, code_hash).await
    }

    async fn register_document(
        &self,
        team: i64,
        doc: &str,
        max_docs: u32,
    ) -> Result<i64, StoreError> {
        self.pg_register_document(team, doc, max_docs).await
    }

    async fn team_of_document(&self, doc: &str) -> Result<Option<i64>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt("SELECT team_id FROM documents WHERE doc_id = $1", &[&doc])
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn documents_of_team(&self, team: i64) -> Result<Vec<String>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT doc_id FROM documents WHERE team_id = $1 ORDER BY doc_id",
                &[&team],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn append_chunks(&self, chunks: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.pg_append_chunks(chunks).await
    }

    async fn all_documents(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .client()
            .await?
            .query("SELECT doc_id FROM documents ORDER BY doc_id", &[])
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn load_chunks(&self, doc: &str) -> Result<Vec<Chunk>, StoreError> {
        self.pg_load_chunks(doc).await
    }

    async fn compact(&self, doc: &str, folded: &[i64], snapshot: &[u8]) -> Result<(), StoreError> {
        self.pg_compact(doc, folded, snapshot).await
    }

    async fn load_chunks_after(
        &self,
        doc: &str,
        after: i64,
        except: &[i64],
    ) -> Result<Vec<Chunk>, StoreError> {
        self.pg_load_chunks_after(doc, after, except).await
    }

    async fn view_tasks_of(
        &self,
        doc: &str,
        tasks: Option<&[String]>,
    ) -> Result<Vec<ViewTask>, StoreError> {
        self.pg_view_tasks_of(doc, tasks).await
    }

    async fn write_view(&self, update: &ViewUpdate) -> Result<(), StoreError> {
        self.pg_write_view(update).await
    }

    async fn view_listings_of(
        &self,
        doc: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<ViewListing>, StoreError> {
        self.pg_view_listings_of(doc, keys).await
    }

    async fn write_listings(&self, update: &ListingUpdate) -> Result<(), StoreError> {
        self.pg_write_listings(update).await
    }

    async fn view_boards(&self, team: i64) -> Result<Vec<ViewBoard>, StoreError> {
        self.pg_view_boards(team).await
    }

    async fn view_tasks(&self, query: &TaskQuery) -> Result<Vec<ViewTask>, StoreError> {
        self.pg_view_tasks(query).await
    }

    async fn clear_view(&self) -> Result<(), StoreError> {
        self.client()
            .await?
            .batch_execute(
                "DELETE FROM view_tasks; DELETE FROM view_boards; DELETE FROM view_listings;
                 UPDATE teams SET view_version = view_version + 1;",
            )
            .await?;
        Ok(())
    }

    async fn view_version(&self, team: i64) -> Result<i64, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt("SELECT view_version FROM teams WHERE id = $1", &[&team])
            .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    async fn calendar_feed(
        &self,
        feed: &CalendarFeed,
        rotate: bool,
    ) -> Result<CalendarFeed, StoreError> {
        self.pg_calendar_feed(feed, rotate).await
    }

    async fn feed_by_secret(&self, secret: &str) -> Result<Option<CalendarFeed>, StoreError> {
        self.pg_feed_by_secret(secret).await
    }

    async fn account_name(&self, account: i64) -> Result<Option<String>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt("SELECT name FROM accounts WHERE id = $1", &[&account])
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn mail_settings(&self, account: i64) -> Result<Option<MailSettings>, StoreError> {
        self.pg_mail_settings(account).await
    }

    async fn set_mail_settings(
        &self,
        account: i64,
        settings: &MailSettings,
    ) -> Result<(), StoreError> {
        self.pg_set_mail_settings(account, settings).await
    }

    async fn digest_readers(&self) -> Result<Vec<DigestReader>, StoreError> {
        self.pg_digest_readers().await
    }

    async fn claim_digest(&self, account: i64, day: &str, token: &str) -> Result<bool, StoreError> {
        self.pg_claim_digest(account, day, token).await
    }

    async fn release_digest(
        &self,
        account: i64,
        day: &str,
        previous: Option<&str>,
    ) -> Result<(), StoreError> {
        self.pg_release_digest(account, day, previous).await
    }

    async fn unsubscribe(&self, token: &str) -> Result<Option<String>, StoreError> {
        self.pg_unsubscribe(token).await
    }

    async fn retention(&self, team: i64) -> Result<Option<i32>, StoreError> {
        self.pg_retention(team).await
    }

    async fn set_retention(&self, team: i64, days: Option<i32>) -> Result<(), StoreError> {
        self.pg_set_retention(team, days).await
    }

    async fn retaining_teams(&self) -> Result<Vec<(i64, i32)>, StoreError> {
        self.pg_retaining_teams().await
    }

    async fn stale_deleted_tasks(
        &self,
        team: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<ViewTask>, StoreError> {
        self.pg_stale_deleted_tasks(team, before, limit).await
    }

    async fn actor_audit(
        &self,
        account: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.pg_actor_audit(account, before, limit).await
    }

    async fn delete_account(
        &self,
        account: i64,
        unusable_hash: &str,
    ) -> Result<Vec<i64>, StoreError> {
        self.pg_delete_account(account, unusable_hash).await
    }

    async fn create_reset(
        &self,
        email: &str,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.pg_create_reset(email, code_hash, expires_at).await
    }

    async fn use_reset(&self, email: &str, code_hash: &str) -> Result<Option<i64>, StoreError> {
        self.pg_use_reset(email, code_hash).await
    }

    async fn create_webhook(&self, hook: &Webhook) -> Result<i64, StoreError> {
        self.pg_create_webhook(hook).await
    }

    async fn webhooks(&self, team: i64) -> Result<Vec<Webhook>, StoreError> {
        self.pg_webhooks(team).await
    }

    async fn remove_webhook(&self, team: i64, id: i64) -> Result<bool, StoreError> {
        self.pg_remove_webhook(team, id).await
    }

    async fn enqueue_events(
        &self,
        team: i64,
        only: Option<i64>,
        events: &[NewEvent],
    ) -> Result<usize, StoreError> {
        self.pg_enqueue_events(team, only, events).await
    }

    async fn claim_deliveries(
        &self,
        now: i64,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.pg_claim_deliveries(now, lease, limit).await
    }

    async fn finish_deliveries(&self, done: &[(i64, i64, Outcome)]) -> Result<(), StoreError> {
        self.pg_finish_deliveries(done).await
    }

    async fn deliveries(
        &self,
        team: i64,
        hook: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<porchlight_api::webhooks::DeliveryInfo>, StoreError> {
        self.pg_deliveries(team, hook, before, limit).await
    }

    async fn prune_deliveries(&self, days: u32) -> Result<u64, StoreError> {
        self.pg_prune_deliveries(days).await
    }

    async fn claim_mentions(
        &self,
        now: i64,
        stale: i64,
        limit: i64,
    ) -> Result<Vec<MentionMail>, StoreError> {
        self.pg_claim_mentions(now, stale, limit).await
    }

    async fn finish_mention(&self, id: i64, sent: bool, now: i64) -> Result<(), StoreError> {
        self.pg_finish_mention(id, sent, now).await
    }

    async fn mention_readers(&self, team: i64) -> Result<Vec<MentionReader>, StoreError> {
        self.pg_mention_readers(team).await
    }

    async fn audit(&self, event: Audit) {
        if let Err(e) = self.pg_audit(&event).await {
            tracing::error!(event = event.event, error = %e, "cannot write the audit log");
        }
    }

    async fn team_audit(
        &self,
        team: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.pg_read_audit(Some(team), before, limit).await
    }

    async fn account_audit(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.pg_read_audit(None, before, limit).await
    }

    async fn prune_audit(&self, days: u32) -> Result<u64, StoreError> {
        let cutoff = now_ms() - i64::from(days) * 86_400_000;
        Ok(self
            .client()
            .await?
            .execute("DELETE FROM audit WHERE at < $1", &[&cutoff])
            .await?)
    }
}
