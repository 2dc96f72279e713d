//! `porchlight-relay serve`: the self-hosted sync relay.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use porchlight_relay::Relay;
use porchlight_relay::config::ConfigArgs;
use porchlight_relay::tls::{ServerTls, TlsListener};

#[derive(Debug, Parser)]
#[command(
    name = "porchlight-relay",
    version,
    about = "The Porchlight sync relay"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the relay (defaults: 127.0.0.1:7280, data in ./relay-data).
    Serve(ConfigArgs),
    /// Copy an SQLite relay (its data directory) into an empty PostgreSQL
    /// database, ids and all; then serve with --database.
    MigrateStorage {
        /// The SQLite relay's data directory.
        #[arg(long)]
        from: PathBuf,
        /// postgres://USER:PASSWORD@HOST:5432/DATABASE (empty).
        #[arg(long)]
        to: String,
    },
    /// A consistent copy of an SQLite relay's database, safe while it
    /// serves (for PostgreSQL, use pg_dump).
    Backup {
        /// The relay's data directory [default: ./relay-data].
        #[arg(long, default_value = "./relay-data")]
        data_dir: PathBuf,
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Rebuild the relay's view of the boards (what calendar feeds read)
    /// from the stored documents; safe while the relay serves.
    Reindex(ConfigArgs),
    /// Put a backup in place as a stopped relay's database.
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// The relay's data directory [default: ./relay-data].
        #[arg(long, default_value = "./relay-data")]
        data_dir: PathBuf,
        /// Replace an existing database (stop the relay first).
        #[arg(long)]
        force: bool,
    },
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing pending writes");
}

/// The log filter when `PORCHLIGHT_LOG` is not set.
const DEFAULT_LOG: &str = "info,automerge=warn";

/// mimalloc rather than glibc's malloc: glibc keeps freed buffers of a few
/// MiB (a calendar feed, a page of view rows) resident in each thread's
/// arena once its mmap threshold has risen, and a relay serving 10,000-task
/// feeds from many threads reached 1.1 GiB RSS that way.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PORCHLIGHT_LOG")
                // automerge instruments its loading at INFO with a Debug dump
                // of the bytes: a quarter of the relay's CPU under load.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let args = match Cli::parse().command {
        Command::Serve(args) => args,
        Command::MigrateStorage { from, to } => return migrate(&from, &to).await,
        Command::Reindex(args) => {
            let config = args.resolve()?;
            let store = porchlight_relay::open_store(&config).await?;
            println!(
                "Rebuilding the view of every board in {}…",
                store.describe()
            );
            let mut shown = std::time::Instant::now();
            let (boards, tasks) = porchlight_relay::view::reindex(&store, |done, all| {
                if shown.elapsed().as_secs() >= 2 || done == all {
                    println!("  {done} of {all} documents read");
                    shown = std::time::Instant::now();
                }
            })
            .await?;
            println!("Reindexed {boards} boards, {tasks} tasks.");
            return Ok(());
        }
        Command::Backup { data_dir, to } => {
            porchlight_relay::store::migrate::backup(&data_dir.join("relay.db"), &to)?;
            println!(
                "Backed up {} to {}.",
                data_dir.join("relay.db").display(),
                to.display()
            );
            return Ok(());
        }
        Command::Restore {
            from,
            data_dir,
            force,
        } => {
            let db = data_dir.join("relay.db");
            porchlight_relay::store::migrate::restore(&from, &db, force)?;
            println!(
                "Restored {} as {}; start the relay.",
                from.display(),
                db.display()
            );
            return Ok(());
        }
    };
    let config = args.resolve()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr()?;
    let tls = match &config.tls {
        Some(files) => Some(ServerTls::load(&files.cert, &files.key)?),
        None => None,
    };
    let relay = Relay::start(config.clone()).await?;
    let data = relay.state.store.describe();
    match tls {
        Some(tls) => {
            tracing::info!(addr = %addr, data, "porchlight-relay listening (HTTPS and WSS)");
            reload_on_sighup(tls.clone());
            relay
                .serve(TlsListener::new(listener, tls)?, shutdown_signal())
                .await
        }
        None => {
            if !addr.ip().is_loopback() {
                tracing::warn!(
                    addr = %addr,
                    "listening on a non-loopback address without TLS: passwords and device tokens would cross the network in the clear. Serve TLS with --tls-cert/--tls-key, or put the relay behind a reverse proxy that does (Caddy, nginx)"
                );
            }
            tracing::info!(addr = %addr, data, "porchlight-relay listening");
            relay.serve(listener, shutdown_signal()).await
        }
    }
}

/// `migrate-storage`: SQLite to PostgreSQL, with progress per table.
async fn migrate(from: &std::path::Path, to: &str) -> anyhow::Result<()> {
    let db = from.join("relay.db");
    let report =
        porchlight_relay::store::migrate::sqlite_to_postgres(&db, to, &mut |table, rows| {
            eprint!("\r{table}: {rows} rows   ");
        })
        .await?;
    eprintln!();
    for (table, rows) in &report {
        println!("{table}: {rows}");
    }
    println!(
        "Moved {} to PostgreSQL; serve with --database.",
        db.display()
    );
    Ok(())
}

/// SIGHUP reads the certificate and key again (after a renewal); open
/// connections are not dropped, and a bad file keeps the old certificate.
fn reload_on_sighup(tls: ServerTls) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; restart the relay to load a new certificate");
            return;
        };
        while hup.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(e) => tracing::error!("TLS certificate not reloaded (the old one stays): {e}"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = tls;
}
