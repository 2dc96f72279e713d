//! [`Storage`] for [`SqliteStore`]: each method moves its arguments onto
//! the blocking pool and runs the matching `Inner` method there.

use async_trait::async_trait;
use porchlight_api::accounts::DeviceInfo;
use porchlight_api::apikeys::{ApiKeyInfo, Scope};
use porchlight_api::audit::AuditEvent;

use super::SqliteStore;
use crate::store::{
    Audit, CalendarFeed, Chunk, Created, Delivery, DigestReader, Identity, ListingUpdate,
    MailSettings, MemberChange, MemberInfo, MentionMail, MentionReader, NewEvent, Outcome, Role,
    Storage, StoreError, TaskQuery, TeamInfo, ViewBoard, ViewListing, ViewTask, ViewUpdate,
    Webhook,
};

fn own(s: &str) -> String {
    s.to_owned()
}

#[async_trait]
impl Storage for SqliteStore {
    fn describe(&self) -> String {
        format!("sqlite {}", self.path().display())
    }

    fn chunk_ids_visible_in_order(&self) -> bool {
        true
    }

    async fn create_account(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        invite_hash: Option<&str>,
    ) -> Result<Created, StoreError> {
        let (e, n, h, i) = (
            own(email),
            own(name),
            own(password_hash),
            invite_hash.map(own),
        );
        self.run(move |db| db.create_account(&e, &n, &h, i.as_deref()))
            .await
    }

    async fn is_admin(&self, account: i64) -> Result<bool, StoreError> {
        self.run(move |db| db.is_admin(account)).await
    }

    async fn account_count(&self) -> Result<i64, StoreError> {
        self.run(|db| db.account_count()).await
    }

    async fn password_of(&self, email: &str) -> Result<Option<(i64, String)>, StoreError> {
        let e = own(email);
        self.run(move |db| db.password_of(&e)).await
    }

    async fn password_of_account(&self, account: i64) -> Result<Option<String>, StoreError> {
        self.run(move |db| db.password_of_account(account)).await
    }

    async fn add_device(
        &self,
        account: i64,
        name: &str,
        token_hash: &str,
        max_devices: u32,
        token_days: u32,
    ) -> Result<i64, StoreError> {
        let (n, h) = (own(name), own(token_hash));
        self.run(move |db| db.add_device(account, &n, &h, max_devices, token_days))
            .await
    }

    async fn device_identity(
        &self,
        token_hash: &str,
        token_days: u32,
    ) -> Result<Option<Identity>, StoreError> {
        let h = own(token_hash);
        self.run(move |db| db.device_identity(&h, token_days)).await
    }

    async fn revoke_device(&self, account: i64, device: i64) -> Result<bool, StoreError> {
        self.run(move |db| db.revoke_device(account, device)).await
    }

    async fn devices(
        &self,
        account: i64,
        current: i64,
        token_days: u32,
    ) -> Result<Vec<DeviceInfo>, StoreError> {
        self.run(move |db| db.devices(account, current, token_days))
            .await
    }

    async fn set_password(
        &self,
        account: i64,
        password_hash: &str,
        keep_device: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let h = own(password_hash);
        self.run(move |db| db.set_password(account, &h, keep_device))
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
        let (n, h) = (own(name), own(key_hash));
        self.run(move |db| db.create_api_key(team, by, &n, scope, &h, expires_at))
            .await
    }

    async fn api_keys(&self, team: i64) -> Result<Vec<ApiKeyInfo>, StoreError> {
        self.run(move |db| db.api_keys(team)).await
    }

    async fn revoke_api_key(&self, team: i64, id: i64) -> Result<bool, StoreError> {
        self.run(move |db| db.revoke_api_key(team, id)).await
    }

    async fn key_identity(&self, key_hash: &str) -> Result<Option<Identity>, StoreError> {
        let h = own(key_hash);
        self.run(move |db| db.key_identity(&h)).await
    }

    async fn create_team(
        &self,
        account: i64,
        name: &str,
        workspace: &str,
        max_owned: u32,
    ) -> Result<i64, StoreError> {
        let (n, w) = (own(name), own(workspace));
        self.run(move |db| db.create_team(account, &n, &w, max_owned))
            .await
    }

    async fn teams(&self, account: i64) -> Result<Vec<TeamInfo>, StoreError> {
        self.run(move |db| db.teams(account)).await
    }

    async fn team_info(&self, team: i64) -> Result<Option<(String, String)>, StoreError> {
        self.run(move |db| db.team_info(team)).await
    }

    async fn team_bytes(&self, team: i64) -> Result<i64, StoreError> {
        self.run(move |db| db.team_bytes(team)).await
    }

    async fn role(&self, account: i64, team: i64) -> Result<Option<Role>, StoreError> {
        self.run(move |db| db.role(account, team)).await
    }

    async fn members(&self, team: i64) -> Result<Vec<MemberInfo>, StoreError> {
        self.run(move |db| db.members(team)).await
    }

    async fn change_member(
        &self,
        team: i64,
        actor: i64,
        target: i64,
        change: MemberChange,
    ) -> Result<(), StoreError> {
        self.run(move |db| db.change_member(team, actor, target, change))
            .await
    }

    async fn transfer_ownership(&self, team: i64, owner: i64, to: i64) -> Result<(), StoreError> {
        self.run(move |db| db.transfer_ownership(team, owner, to))
            .await
    }

    async fn create_invite(
        &self,
        team: i64,
        role: Role,
        expires_at: i64,
        by: i64,
        code_hash: &str,
    ) -> Result<(), StoreError> {
        let h = own(code_hash);
        self.run(move |db| db.create_invite(team, role, expires_at, by, &h))
            .await
    }

    async fn join(&self, account: i64, code_hash: &str) -> Result<Option<(i64, Role)>, StoreError> {
        let h = own(code_hash);
        self.run(move |db| db.join(account, &h)).await
    }

    async fn register_document(
        &self,
        team: i64,
        doc: &str,
        max_docs: u32,
    ) -> Result<i64, StoreError> {
        let d = own(doc);
        self.run(move |db| db.register_document(team, &d, max_docs))
            .await
    }

    async fn team_of_document(&self, doc: &str) -> Result<Option<i64>, StoreError> {
        let d = own(doc);
        self.run(move |db| db.team_of_document(&d)).await
    }

    async fn documents_of_team(&self, team: i64) -> Result<Vec<String>, StoreError> {
        self.run(move |db| db.documents_of_team(team)).await
    }

    async fn all_documents(&self) -> Result<Vec<String>, StoreError> {
        self.run(|db| db.all_documents()).await
    }

    async fn append_chunks(&self, chunks: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let c = chunks.to_vec();
        self.run(move |db| db.append_chunks(&c)).await
    }

    async fn load_chunks(&self, doc: &str) -> Result<Vec<Chunk>, StoreError> {
        let d = own(doc);
        self.run(move |db| db.load_chunks(&d)).await
    }

    async fn compact(&self, doc: &str, folded: &[i64], snapshot: &[u8]) -> Result<(), StoreError> {
        let (d, ids, s) = (own(doc), folded.to_vec(), snapshot.to_vec());
        self.run(move |db| db.compact(&d, &ids, &s)).await
    }

    async fn load_chunks_after(
        &self,
        doc: &str,
        after: i64,
        except: &[i64],
    ) -> Result<Vec<Chunk>, StoreError> {
        let except = except.to_vec();
        let d = own(doc);
        let mut chunks = self.run(move |db| db.load_chunks_after(&d, after)).await?;
        chunks.retain(|c| !except.contains(&c.id));
        Ok(chunks)
    }

    async fn view_tasks_of(
        &self,
        doc: &str,
        tasks: Option<&[String]>,
    ) -> Result<Vec<ViewTask>, StoreError> {
        let (d, t) = (own(doc), tasks.map(<[String]>::to_vec));
        self.run(move |db| db.view_tasks_of(&d, t.as_deref())).await
    }

    async fn write_view(&self, update: &ViewUpdate) -> Result<(), StoreError> {
        let u = update.clone();
        self.run(move |db| db.write_view(&u)).await
    }

    async fn view_listings_of(
        &self,
        doc: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<ViewListing>, StoreError> {
        let d = own(doc);
        let k = keys.map(<[String]>::to_vec);
        self.run(move |db| db.view_listings_of(&d, k.as_deref()))
            .await
    }

    async fn write_listings(&self, update: &ListingUpdate) -> Result<(), StoreError> {
        let u = update.clone();
        self.run(move |db| db.write_listings(&u)).await
    }

    async fn view_boards(&self, team: i64) -> Result<Vec<ViewBoard>, StoreError> {
        self.run(move |db| db.view_boards(team)).await
    }

    async fn view_tasks(&self, query: &TaskQuery) -> Result<Vec<ViewTask>, StoreError> {
        let q = query.clone();
        self.run(move |db| db.view_tasks(&q)).await
    }

    async fn clear_view(&self) -> Result<(), StoreError> {
        self.run(|db| db.clear_view()).await
    }

    async fn view_version(&self, team: i64) -> Result<i64, StoreError> {
        self.run(move |db| db.view_version(team)).await
    }

    async fn calendar_feed(
        &self,
        feed: &CalendarFeed,
        rotate: bool,
    ) -> Result<CalendarFeed, StoreError> {
        let f = feed.clone();
        self.run(move |db| db.calendar_feed(&f, rotate)).await
    }

    async fn feed_by_secret(&self, secret: &str) -> Result<Option<CalendarFeed>, StoreError> {
        let s = own(secret);
        self.run(move |db| db.feed_by_secret(&s)).await
    }

    async fn account_name(&self, account: i64) -> Result<Option<String>, StoreError> {
        self.run(move |db| db.account_name(account)).await
    }

    async fn mail_settings(&self, account: i64) -> Result<Option<MailSettings>, StoreError> {
        self.run(move |db| db.mail_settings(account)).await
    }

    async fn set_mail_settings(
        &self,
        account: i64,
        settings: &MailSettings,
    ) -> Result<(), StoreError> {
        let s = settings.clone();
        self.run(move |db| db.set_mail_settings(account, &s)).await
    }

    async fn digest_readers(&self) -> Result<Vec<DigestReader>, StoreError> {
        self.run(move |db| db.digest_readers()).await
    }

    async fn claim_digest(&self, account: i64, day: &str, token: &str) -> Result<bool, StoreError> {
        let (d, t) = (own(day), own(token));
        self.run(move |db| db.claim_digest(account, &d, &t)).await
    }

    async fn release_digest(
        &self,
        account: i64,
        day: &str,
        previous: Option<&str>,
    ) -> Result<(), StoreError> {
        let (d, p) = (own(day), previous.map(own));
        self.run(move |db| db.release_digest(account, &d, p.as_deref()))
            .await
    }

    async fn unsubscribe(&self, token: &str) -> Result<Option<String>, StoreError> {
        let t = own(token);
        self.run(move |db| db.unsubscribe(&t)).await
    }

    async fn retention(&self, team: i64) -> Result<Option<i32>, StoreError> {
        self.run(move |db| db.retention(team)).await
    }

    async fn set_retention(&self, team: i64, days: Option<i32>) -> Result<(), StoreError> {
        self.run(move |db| db.set_retention(team, days)).await
    }

    async fn retaining_teams(&self) -> Result<Vec<(i64, i32)>, StoreError> {
        self.run(move |db| db.retaining_teams()).await
    }

    async fn stale_deleted_tasks(
        &self,
        team: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<ViewTask>, StoreError> {
        self.run(move |db| db.stale_deleted_tasks(team, before, limit))
            .await
    }

    async fn actor_audit(
        &self,
        account: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.run(move |db| db.actor_audit(account, before, limit))
            .await
    }

    async fn delete_account(
        &self,
        account: i64,
        unusable_hash: &str,
    ) -> Result<Vec<i64>, StoreError> {
        let h = own(unusable_hash);
        self.run(move |db| db.delete_account(account, &h)).await
    }

    async fn create_reset(
        &self,
        email: &str,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<Option<i64>, StoreError> {
        let (e, c) = (own(email), own(code_hash));
        self.run(move |db| db.create_reset(&e, &c, expires_at))
            .await
    }

    async fn use_reset(&self, email: &str, code_hash: &str) -> Result<Option<i64>, StoreError> {
        let (e, c) = (own(email), own(code_hash));
        self.run(move |db| db.use_reset(&e, &c)).await
    }

    async fn create_webhook(&self, hook: &Webhook) -> Result<i64, StoreError> {
        let h = hook.clone();
        self.run(move |db| db.create_webhook(&h)).await
    }

    async fn webhooks(&self, team: i64) -> Result<Vec<Webhook>, StoreError> {
        self.run(move |db| db.webhooks(team)).await
    }

    async fn remove_webhook(&self, team: i64, id: i64) -> Result<bool, StoreError> {
        self.run(move |db| db.remove_webhook(team, id)).await
    }

    async fn enqueue_events(
        &self,
        team: i64,
        only: Option<i64>,
        events: &[NewEvent],
    ) -> Result<usize, StoreError> {
        let e = events.to_vec();
        self.run(move |db| db.enqueue_events(team, only, &e)).await
    }

    async fn claim_deliveries(
        &self,
        now: i64,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.run(move |db| db.claim_deliveries(now, lease, limit))
            .await
    }

    async fn finish_deliveries(&self, done: &[(i64, i64, Outcome)]) -> Result<(), StoreError> {
        let d = done.to_vec();
        self.run(move |db| db.finish_deliveries(&d)).await
    }

    async fn deliveries(
        &self,
        team: i64,
        hook: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<porchlight_api::webhooks::DeliveryInfo>, StoreError> {
        self.run(move |db| db.deliveries(team, hook, before, limit))
            .await
    }

    async fn prune_deliveries(&self, days: u32) -> Result<u64, StoreError> {
        self.run(move |db| db.prune_deliveries(days)).await
    }

    async fn claim_mentions(
        &self,
        now: i64,
        stale: i64,
        limit: i64,
    ) -> Result<Vec<MentionMail>, StoreError> {
        self.run(move |db| db.claim_mentions(now, stale, limit))
            .await
    }

    async fn finish_mention(&self, id: i64, sent: bool, now: i64) -> Result<(), StoreError> {
        self.run(move |db| db.finish_mention(id, sent, now)).await
    }

    async fn mention_readers(&self, team: i64) -> Result<Vec<MentionReader>, StoreError> {
        self.run(move |db| db.mention_readers(team)).await
    }

    async fn audit(&self, event: Audit) {
        let name = event.event;
        if let Err(e) = self.run(move |db| db.audit(&event)).await {
            tracing::error!(event = name, error = %e, "cannot write the audit log");
        }
    }

    async fn team_audit(
        &self,
        team: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.run(move |db| db.read_audit(Some(team), before, limit))
            .await
    }

    async fn account_audit(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.run(move |db| db.read_audit(None, before, limit)).await
    }

    async fn prune_audit(&self, days: u32) -> Result<u64, StoreError> {
        self.run(move |db| db.prune_audit(days)).await
    }
}
