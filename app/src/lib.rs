//! Porchlight desktop: the Tauri 2 shell. Commands ([`commands`]) are thin
//! calls into `porchlight-store`; the background sync ([`sync`]) keeps the
//! profile in step with the team's relay and tells the UI through events;
//! [`reminders`] fires native notifications from the local store.

pub mod commands;
mod error;
pub mod external;
pub mod mentions;
pub mod reminders;
pub mod state;
pub mod sync;
mod warm;

use std::path::PathBuf;

pub use error::{AppError, Result};
use state::AppState;

/// The profile directory: `PORCHLIGHT_DATA_DIR`, else the OS data directory
/// (the same default as the CLI, so both see one profile).
fn data_dir() -> std::result::Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("PORCHLIGHT_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join("porchlight"))
        .ok_or_else(|| "cannot find the OS data directory; set PORCHLIGHT_DATA_DIR".to_string())
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PORCHLIGHT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // State is built before it is managed: a profile that cannot open is
    // reported here, not as a failure of the first command.
    let state = match data_dir().and_then(|dir| AppState::open(&dir).map_err(|e| e.to_string())) {
        Ok(state) => state,
        Err(e) => {
            eprintln!("porchlight: {e}");
            std::process::exit(1);
        }
    };
    let wake = reminders::Wake::default();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .manage(state)
        .manage(wake.clone())
        .setup(move |app| {
            lean_webview(app);
            sync::start(app.handle());
            reminders::start(app.handle(), wake);
            external::start(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::boards::list_boards,
            commands::boards::open_board,
            commands::boards::create_board,
            commands::boards::set_viewing,
            commands::tasks::parse_quick_add,
            commands::tasks::quick_add,
            commands::tasks::get_task,
            commands::tasks::move_task,
            commands::tasks::update_task,
            commands::tasks::splice_description,
            commands::tasks::add_checklist_item,
            commands::tasks::set_checklist_done,
            commands::tasks::add_comment,
            commands::tasks::complete_task,
            commands::tasks::task_history,
            commands::tasks::restore_task,
            commands::views::list_due,
            commands::views::focus_tasks,
            commands::views::search_tasks,
            commands::account::get_settings,
            commands::account::save_preferences,
            commands::account::sign_in,
            commands::account::sign_out,
            commands::account::sync_status,
            commands::account::list_devices,
            commands::account::revoke_device,
            commands::listings::search_listings,
            commands::listings::get_listing,
            commands::listings::add_listing_note,
            commands::listings::tag_listing,
            commands::listings::listing_comps,
            commands::listings::market_stats,
            commands::mls::mls_connections,
            commands::mls::test_mls_connection,
            commands::mls::add_mls_connection,
            commands::mls::remove_mls_connection,
            commands::mls::pull_mls,
            commands::mls::listing_photos,
            commands::mls::fetch_listing_photos,
            commands::mls::listing_photo,
            commands::mls::favourite_listing,
            commands::mls::set_listing_showing,
            commands::mls::export_comps_report,
            commands::mls::listing_tasks,
            commands::team::team_page,
            commands::team::create_invite,
            commands::team::calendar_url,
            commands::account::mail_settings,
            commands::account::set_digest,
            commands::account::set_mention_mail,
            commands::team::webhooks,
            commands::team::add_webhook,
            commands::team::remove_webhook,
            commands::team::test_webhook,
            commands::team::webhook_log,
            commands::team::set_member_role,
            commands::team::remove_member,
            commands::work::inbox,
            commands::work::unread_count,
            commands::work::mark_inbox,
            commands::work::watch_task,
            commands::work::activity,
            commands::work::insights,
            commands::work::people,
            commands::work::people_on_boards,
            commands::work::rename_person,
            commands::work::templates,
            commands::work::template_preview,
            commands::work::apply_template,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("porchlight: the window could not start: {e}");
        std::process::exit(1);
    }
}

/// The window shows one local page of lists and forms: WebKitGTK's GPU
/// compositing (under Xvfb or without a GPU, GL in software) and its page
/// and resource caches only cost memory here, so on Linux both are turned
/// off (`PORCHLIGHT_GPU=1` keeps GPU compositing). Measured in
/// BENCHMARKS.md (the app's memory with 100,000 listings).
fn lean_webview(app: &tauri::App) {
    use tauri::Manager;
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let result = window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{SettingsExt, WebContextExt, WebViewExt};
            let view = webview.inner();
            let gpu = std::env::var_os("PORCHLIGHT_GPU").is_some_and(|v| v == "1");
            if let Some(settings) = view.settings().filter(|_| !gpu) {
                settings.set_hardware_acceleration_policy(
                    webkit2gtk::HardwareAccelerationPolicy::Never,
                );
            }
            if let Some(context) = view.context() {
                context.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot tune the web view");
    }
}
