//! porchlight-relay: the self-hosted sync relay.
//!
//! `AppState` + [`router`] + [`Relay::serve`]; handlers by area under
//! `handlers/`; authentication as an extractor ([`auth::Auth`]); one
//! [`error::AppError`]. Sync traffic goes through the [`hub`], sharded by
//! document, over the storage of [`store`]; several nodes on one
//! PostgreSQL meet through the [`fanout`]; stored documents are folded by
//! [`compact`].

pub mod accounts;
pub mod auth;
pub mod compact;
pub mod config;
pub mod digest;
pub mod error;
pub mod extract;
pub mod fanout;
pub mod handlers;
pub mod hub;
pub mod ical;
pub mod limits;
pub mod mail;
pub mod mentions;
pub mod openapi;
pub mod password;
pub mod retention;
pub mod store;
pub mod tls;
pub mod view;
pub mod webhooks;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Router;

pub use config::Config;

/// Shared by every handler.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub store: store::Store,
    pub hub: hub::Hub,
    /// Every open sync connection (revocations close them).
    pub registry: Arc<hub::Registry>,
    /// The link to the other relay nodes, with `--nats`.
    pub fanout: Option<Arc<fanout::Fanout>>,
    pub metrics: Arc<hub::Metrics>,
    pub next_conn: AtomicU64,
    pub guards: limits::Guards,
    /// Bytes waiting for every connection's socket together, bounded.
    pub send_budget: hub::Budget,
    /// Flips to `true` when the relay shuts down; open connections close.
    pub shutdown: tokio::sync::watch::Sender<bool>,
    /// The REST API's rate limit per key.
    pub api_limits: handlers::v1::ApiLimits,
    /// Poked when webhook deliveries are queued.
    pub webhook_wake: Arc<tokio::sync::Notify>,
    /// Email out, with `--smtp`.
    pub mailer: Option<mail::Mailer>,
    /// Calendar feeds as last built.
    pub feeds: handlers::calendar::FeedCache,
}

impl AppState {
    /// An account's roles changed: its open connections are re-checked at
    /// once (dropped from documents it lost, read-only where it is a
    /// viewer now).
    /// On every node.
    pub async fn access_changed(&self, account: i64) {
        self.hub
            .broadcast(|| hub::HubInput::Access { account })
            .await;
        if let Some(f) = &self.fanout {
            f.publish_access(fanout::AccessEvent::Account(account));
        }
    }

    /// A device's token stopped working: its open connections close, on
    /// every node.
    pub async fn device_revoked(&self, device: i64) {
        self.registry.close(Some(device), None);
        if let Some(f) = &self.fanout {
            f.publish_access(fanout::AccessEvent::Device(device));
        }
    }

    /// An API key was revoked: its open connections close, on every node.
    pub async fn key_revoked(&self, key: i64) {
        self.registry.close(None, Some(key));
        if let Some(f) = &self.fanout {
            f.publish_access(fanout::AccessEvent::Key(key));
        }
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    use handlers::{
        accounts, apikeys, calendar, export, health, reset, settings, sync, teams, v1, webhooks,
    };
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
        .routes(routes!(calendar::feed_url))
        .routes(routes!(calendar::feed))
        .routes(routes!(export::export))
        .routes(routes!(export::document))
        .routes(routes!(export::delete))
        .routes(routes!(reset::request))
        .routes(routes!(reset::confirm))
        .routes(routes!(settings::mail, settings::set_mail))
        .routes(routes!(settings::unsubscribe_page, settings::unsubscribe))
        .routes(routes!(settings::retention, settings::set_retention))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::remove))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::deliveries))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(v1::boards))
                .routes(routes!(v1::tasks))
                .routes(routes!(v1::task, v1::update))
                .routes(routes!(v1::create))
                .routes(routes!(v1::complete))
                .routes(routes!(v1::comment))
                .layer(axum::middleware::map_response(v1::problems)),
        )
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
    open_store_with(config, None).await
}

/// [`open_store`], observing connection waits in `wait`.
pub async fn open_store_with(
    config: &Config,
    wait: Option<prometheus_client::metrics::histogram::Histogram>,
) -> anyhow::Result<store::Store> {
    if let Some(url) = &config.database {
        let pg = store::PgStore::connect_with(&url.0, wait)
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
    let sqlite = store::SqliteStore::open_with(&config.data_dir.join("relay.db"), wait)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Arc::new(sqlite))
}

/// A running relay's handles.
#[derive(Debug)]
pub struct Relay {
    pub state: Arc<AppState>,
    hub_threads: Vec<std::thread::JoinHandle<()>>,
}

impl Relay {
    /// Opens storage (PostgreSQL with `database`, else the SQLite file in
    /// `data_dir`) and starts the hub.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let metrics = Arc::new(hub::Metrics::default());
        let store = open_store_with(&config, Some(metrics.db_pool_wait.clone())).await?;
        tracing::info!(storage = %store.describe(), "storage ready");
        let limits = hub::HubLimits {
            documents_per_connection: config.limits.documents_per_connection as usize,
            bytes_per_team: config.limits.bytes_per_team,
            inject_panic_on: config.inject_panic_on.clone(),
        };
        let fanout = match &config.nats {
            Some(url) => Some(fanout::Fanout::connect(url, metrics.clone()).await?),
            None => None,
        };
        let compactor = compact::Compactor::spawn(store.clone(), metrics.clone());
        let webhook_wake = Arc::new(tokio::sync::Notify::new());
        let indexer = view::Indexer::spawn(store.clone(), metrics.clone(), webhook_wake.clone());
        let (hub, hub_threads) = hub::Hub::spawn(
            config.shards(),
            hub::ShardParts {
                store: store.clone(),
                rt: tokio::runtime::Handle::current(),
                metrics: metrics.clone(),
                limits,
                relay_id: hub::RELAY_ID.to_string(),
                fanout: fanout.clone(),
                compactor,
                indexer,
            },
        )?;
        let registry = Arc::new(hub::Registry::default());
        if let Some(f) = &fanout {
            f.attach(&hub, &registry);
        }
        let mailer = mail::Mailer::from_config(&config)?;
        let guards = limits::Guards::new(&config);
        let config_api_rate = config.limits.api_requests_per_minute;
        let send_budget = hub::Budget::new(config.limits.send_queues_mib as usize * 1024 * 1024);
        let state = Arc::new(AppState {
            config,
            store,
            hub,
            registry,
            fanout,
            metrics,
            next_conn: AtomicU64::new(1),
            guards,
            send_budget,
            shutdown: tokio::sync::watch::channel(false).0,
            api_limits: handlers::v1::ApiLimits::new(config_api_rate),
            webhook_wake,
            mailer,
            feeds: handlers::calendar::FeedCache::default(),
        });
        Ok(Self { state, hub_threads })
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
                    state.api_limits.forget_idle();
                    // The audit log's retention: at start, then hourly.
                    if tick % 120 == 0
                        && let Err(e) = state
                            .store
                            .prune_audit(state.config.limits.audit_days)
                            .await
                    {
                        tracing::error!(error = %e, "cannot prune the audit log");
                    }
                    if tick % 120 == 0
                        && let Err(e) = state.store.prune_deliveries(webhooks::LOG_DAYS).await
                    {
                        tracing::error!(error = %e, "cannot prune the webhook delivery log");
                    }
                }
            })
        };
        let deliveries = webhooks::spawn(
            self.state.store.clone(),
            self.state.config.limits.webhook_private_targets,
            self.state.webhook_wake.clone(),
            self.state.mailer.clone(),
        )?;
        let digests = digest::spawn(self.state.clone());
        let retention = retention::spawn(self.state.clone());
        let mention_mail = mentions::spawn(self.state.clone());
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
        drop(deliveries);
        retention.abort();
        if let Some(d) = digests {
            d.abort();
        }
        if let Some(m) = mention_mail {
            m.abort();
        }
        let Relay { state, hub_threads } = self;
        // Dropping the last hub handle ends each shard's loop after its
        // queue drains and its last batch is committed.
        drop(state);
        tokio::task::spawn_blocking(move || {
            for t in hub_threads {
                t.join()
                    .map_err(|_| anyhow::anyhow!("a hub shard thread panicked"))?;
            }
            Ok::<_, anyhow::Error>(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("hub join: {e}"))??;
        Ok(())
    }
}
