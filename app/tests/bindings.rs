//! The UI's TypeScript types are generated from the Rust types (ts-rs) and
//! committed in `ui/src/lib/bindings/`. This test fails when they are out of
//! date; `UPDATE_BINDINGS=1 cargo test -p porchlight-app --test bindings`
//! (or `make bindings`) rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use porchlight_app::AppError;
use porchlight_app::commands::account::Settings;
use porchlight_app::commands::boards::BoardView;
use porchlight_app::commands::listings::ListingFilter;
use porchlight_app::commands::mls::{
    MlsAdded, MlsConnection, NewMlsConnection, PhotoThumb, PullProgress, PullSummary,
};
use porchlight_app::commands::tasks::TaskPatch;
use porchlight_app::commands::team::TeamView;
use porchlight_app::commands::work::{ActivityLine, PlannedStep, TemplateInfo};
use porchlight_app::reminders::ReminderFired;
use porchlight_app::state::{Preferences, SyncStatus};
use porchlight_app::sync::{DocChanged, PresenceChanged};
use porchlight_client::SyncSummary;
use porchlight_client::api::accounts::{DeviceInfo, MailSettings};
use porchlight_client::api::team::Invite;
use porchlight_client::api::webhooks::{CreatedWebhook, DeliveryInfo, WebhookInfo};
use porchlight_store::doc::listing_shard::CachedListing;
use porchlight_store::inbox::InboxItem;
use porchlight_store::insights::Insights;
use porchlight_store::listings::comps::{Comps, MarketStats};
use porchlight_store::model::{InboxState, Task};
use porchlight_store::profile::{
    BoardSummary, Completion, HistoryEntry, InboxMarked, Person, Renamed,
};
use porchlight_store::quickadd::Parsed;
use ts_rs::{Config, TS};

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings")
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ts") {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if let (Some(name), Ok(text)) = (name, std::fs::read_to_string(&path)) {
                out.insert(name, text);
            }
        }
    }
    out
}

fn generate(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir);
    let results = [
        AppError::export_all(&cfg),
        Settings::export_all(&cfg),
        DeviceInfo::export_all(&cfg),
        BoardView::export_all(&cfg),
        TaskPatch::export_all(&cfg),
        Preferences::export_all(&cfg),
        SyncStatus::export_all(&cfg),
        DocChanged::export_all(&cfg),
        SyncSummary::export_all(&cfg),
        Task::export_all(&cfg),
        BoardSummary::export_all(&cfg),
        Completion::export_all(&cfg),
        HistoryEntry::export_all(&cfg),
        Parsed::export_all(&cfg),
        ReminderFired::export_all(&cfg),
        TeamView::export_all(&cfg),
        PresenceChanged::export_all(&cfg),
        Invite::export_all(&cfg),
        ListingFilter::export_all(&cfg),
        CachedListing::export_all(&cfg),
        Comps::export_all(&cfg),
        MarketStats::export_all(&cfg),
        MlsConnection::export_all(&cfg),
        NewMlsConnection::export_all(&cfg),
        MlsAdded::export_all(&cfg),
        PullProgress::export_all(&cfg),
        PullSummary::export_all(&cfg),
        PhotoThumb::export_all(&cfg),
        WebhookInfo::export_all(&cfg),
        MailSettings::export_all(&cfg),
        CreatedWebhook::export_all(&cfg),
        DeliveryInfo::export_all(&cfg),
        InboxItem::export_all(&cfg),
        InboxState::export_all(&cfg),
        InboxMarked::export_all(&cfg),
        Person::export_all(&cfg),
        Renamed::export_all(&cfg),
        Insights::export_all(&cfg),
        ActivityLine::export_all(&cfg),
        TemplateInfo::export_all(&cfg),
        PlannedStep::export_all(&cfg),
    ];
    for r in results {
        r.expect("export bindings");
    }
}

#[test]
fn typescript_bindings_are_up_to_date() {
    let fresh = tempfile::tempdir().expect("dir");
    generate(fresh.path());
    let want = files(fresh.path());
    assert!(want.len() >= 13, "ts-rs exported only {:?}", want.keys());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let dir = committed();
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("clear bindings");
        }
        std::fs::create_dir_all(&dir).expect("bindings dir");
        for (name, text) in &want {
            std::fs::write(dir.join(name), text).expect("write binding");
        }
        return;
    }
    let have = files(&committed());
    let stale: Vec<&String> = want
        .keys()
        .chain(have.keys())
        .filter(|name| want.get(*name) != have.get(*name))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/lib/bindings is out of date ({stale:?}): run `make bindings` and commit the result"
    );
}
