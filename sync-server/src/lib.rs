//! porchlight-relay: the self-hosted sync relay.
//!
//! `AppState` + [`router`] + [`serve`]; handlers by area under `handlers/`;
//! authentication as an extractor ([`auth::Auth`]); one [`error::AppError`].
//! Sync traffic goes through the [`hub`], which owns the sans-IO engine from
//! `porchlight-store`.

pub mod accounts;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod hub;
pub mod limits;
pub mod openapi;
pub mod password;
pub mod store;
pub mod tls;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Router;
use tokio::sync::mpsc;

pub use config::Config;

/// Shared by every handler.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub store: store::Store,
    pub hub: mpsc::Sender<hub::HubInput>,
    pub metrics: Arc<hub::Metrics>,
    pub next_conn: AtomicU64,
    pub guards: limits::Guards,
    /// Bytes waiting for every connection's socket together, bounded.
    pub send_budget: hub::Budget,
    /// Flips to `true` when the relay shuts down; open connections close.
    pub shutdown: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    /// An account's roles changed: its open connections are re-checked at
    /// once (dropped from documents it lost, read-only where it is a
    /// viewer now).
    pub async fn access_changed(&self, account: i64) {
        let _ = self.hub.send(hub::HubInput::Access { account }).await;
    }

    /// A device's token stopped working: its open connections close.
    pub async fn device_revoked(&self, device: i64) {
        let _ = self.hub.send(hub::HubInput::Revoked { device }).await;
    }

    /// An API key was revoked: its open connections close.
    pub async fn key_revoked(&self, key: i64) {
        let _ = self.hub.send(hub::HubInput::KeyRevoked { key }).await;
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    use handlers::{accounts, apikeys, health, sync, teams};
    use utoipa::OpenApi;
    use utoipa_axum::{router::OpenApiRouter, routes};
    let (router, api) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(health::openapi))
        .routes(routes!(accounts::signup))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::revoke_device))
        .routes(routes!(accounts::devices))
        .routes(routes!(accounts::change_password))
        .routes(routes!(accounts::audit))
        .routes(routes!(teams::audit))
        .routes(routes!(teams::list, teams::create))
        .routes(routes!(teams::members))
        .routes(routes!(teams::set_role, teams::remove))
        .routes(routes!(teams::transfer))
        .routes(routes!(teams::invite))
        .routes(routes!(teams::documents, teams::register))
        .routes(routes!(teams::join))
        .routes(routes!(apikeys::list, apikeys::create))
        .routes(routes!(apikeys::revoke))
        .routes(routes!(sync::upgrade))
        .split_for_parts();
    let mut api = api;
    utoipa::Modify::modify(&openapi::CommonAnswers, &mut api);
    let spec = openapi::Spec(
        api.to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
            .into(),
    );
    router.layer(axum::Extension(spec)).with_state(state)
}

/// The storage `config` names: PostgreSQL at `database`, or the SQLite
/// file `relay.db` in `data_dir` (created).
pub async fn open_store(config: &Config) -> anyhow::Result<store::Store> {
    if let Some(url) = &config.database {
        let pg = store::PgStore::connect(&url.0)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(Arc::new(pg));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    let sqlite = store::SqliteStore::open(&config.data_dir.join("relay.db"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Arc::new(sqlite))
}

/// A running relay's handles.
#[derive(Debug)]
pub struct Relay {
    pub state: Arc<AppState>,
    hub_thread: std::thread::JoinHandle<()>,
}

impl Relay {
    /// Opens storage (PostgreSQL with `database`, else the SQLite file in
    /// `data_dir`) and starts the hub.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let store = open_store(&config).await?;
        tracing::info!(storage = %store.describe(), "storage ready");
        let metrics = Arc::new(hub::Metrics::default());
        let limits = hub::HubLimits {
            documents_per_connection: config.limits.documents_per_connection as usize,
            bytes_per_team: config.limits.bytes_per_team,
            inject_panic_on: config.inject_panic_on.clone(),
        };
        let (hub, hub_thread) = hub::spawn(
            store.clone(),
            tokio::runtime::Handle::current(),
            metrics.clone(),
            "porchlight-relay",
            limits,
        )?;
        let guards = limits::Guards::new(&config);
        let send_budget = hub::Budget::new(config.limits.send_queues_mib as usize * 1024 * 1024);
        let state = Arc::new(AppState {
            config,
            store,
            hub,
            metrics,
            next_conn: AtomicU64::new(1),
            guards,
            send_budget,
            shutdown: tokio::sync::watch::channel(false).0,
        });
        Ok(Self { state, hub_thread })
    }

    /// Serves on `listener` until `shutdown` resolves, then lets the hub
    /// finish every pending write before returning.
    pub async fn serve<L>(
        self,
        listener: L,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()>
    where
        L: axum::serve::Listener<Addr = std::net::SocketAddr>,
        for<'a> limits::PeerAddr:
            axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
    {
        let app =
            router(self.state.clone()).into_make_service_with_connect_info::<limits::PeerAddr>();
        let sweeper = {
            let state = self.state.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
                for tick in 0u64.. {
                    every.tick().await;
                    state.guards.forget_idle();
                    // The audit log's retention: at start, then hourly.
                    if tick % 120 == 0
                        && let Err(e) = state
                            .store
                            .prune_audit(state.config.limits.audit_days)
                            .await
                    {
                        tracing::error!(error = %e, "cannot prune the audit log");
                    }
                }
            })
        };
        let state = self.state.clone();
        let signal = async move {
            shutdown.await;
            // Close open WebSockets so graceful shutdown does not wait for them.
            let _ = state.shutdown.send(true);
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .await?;
        sweeper.abort();
        let Relay { state, hub_thread } = self;
        // Dropping the last hub sender ends the hub loop after the queue drains.
        drop(state);
        tokio::task::spawn_blocking(move || hub_thread.join())
            .await
            .map_err(|e| anyhow::anyhow!("hub join: {e}"))?
            .map_err(|_| anyhow::anyhow!("the hub thread panicked"))?;
        Ok(())
    }
}
