//! The PostgreSQL backend (`--database postgres://…`): a deadpool pool of
//! tokio-postgres connections, TLS to the database with rustls when the
//! URL asks for it (`sslmode=require`; the OS roots, plus `PGSSLROOTCERT`
//! as libpq reads it), numbered migrations applied at start under an
//! advisory lock so that nodes starting together take turns.

mod accounts;
mod chunks;
mod digest;
mod erase;
mod listings;
mod mentions;
mod migrations;
mod storage;
mod teams;
mod view;
mod webhooks;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use prometheus_client::metrics::histogram::Histogram;

use super::StoreError;

/// Connections in one node's pool.
const POOL_SIZE: usize = 16;

/// The PostgreSQL store; cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    describe: String,
    /// Time spent waiting for a pooled connection.
    wait: Option<Histogram>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.describe)
            .finish_non_exhaustive()
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The server's own message (a constraint, a missing table) is in
        // the source; the top-level text is only "db error".
        let detail = e.as_db_error().map(|d| d.message().to_string());
        StoreError::Db(detail.unwrap_or_else(|| e.to_string()))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Db(format!("no database connection: {e}"))
    }
}

/// "host:port/dbname" of a URL, without the password, for logs.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_default();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres {host}:{port}/{}",
        config.get_dbname().unwrap_or_default()
    )
}

fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Ok(path) = std::env::var("PGSSLROOTCERT") {
        let pem = std::fs::read(&path)
            .map_err(|e| StoreError::Internal(format!("cannot read PGSSLROOTCERT {path}: {e}")))?;
        for cert in rustls_pki_types::pem::PemObject::pem_slice_iter(&pem) {
            let cert: rustls_pki_types::CertificateDer<'static> = cert.map_err(|e| {
                StoreError::Internal(format!("PGSSLROOTCERT {path} is not PEM: {e}"))
            })?;
            roots
                .add(cert)
                .map_err(|e| StoreError::Internal(format!("PGSSLROOTCERT {path}: {e}")))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StoreError::Internal(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

impl PgStore {
    /// Connects to `url` and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, None).await
    }

    /// [`PgStore::connect`], observing the time spent waiting for a
    /// pooled connection in `wait`.
    pub async fn connect_with(url: &str, wait: Option<Histogram>) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Invalid(format!(
                "the database URL is not a PostgreSQL URL ({e}); write it as postgres://USER:PASSWORD@HOST:5432/DATABASE"
            ))
        })?;
        let describe = describe(&config);
        let manager = Manager::from_config(
            config,
            tls()?,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Internal(format!("database pool: {e}")))?;
        let store = Self {
            pool,
            describe,
            wait,
        };
        let mut client =
            store.pool.get().await.map_err(|e| {
                StoreError::Db(format!("cannot connect to {}: {e}", store.describe))
            })?;
        migrations::apply(&mut client, &store.describe).await?;
        Ok(store)
    }

    /// A connection from the pool, for single statements.
    pub(super) async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        let asked = std::time::Instant::now();
        let client = self.pool.get().await?;
        if let Some(h) = &self.wait {
            h.observe(asked.elapsed().as_secs_f64());
        }
        Ok(client)
    }

    /// How long callers waited for a pooled connection, and how many wait.
    pub fn pool_status(&self) -> deadpool_postgres::Status {
        self.pool.status()
    }
}
