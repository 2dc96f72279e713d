//! HTTPS and WSS on the relay's own port (`--tls-cert`/`--tls-key`).
//!
//! [`TlsListener`] is an `axum::serve::Listener`: a task accepts TCP
//! connections and runs each TLS handshake in its own task (bounded in
//! number and time, so a slow or silent client holds up nobody), handing
//! finished streams to axum. The certificate lives in a [`ServerTls`] that
//! can be reloaded (SIGHUP): new handshakes use the new certificate, open
//! connections keep theirs. TLS 1.2 and 1.3, rustls with ring.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The longest a client may take to finish its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; more connections wait to be accepted.
pub const MAX_HANDSHAKES: usize = 256;
/// Finished connections waiting for axum to take them.
const READY_QUEUE: usize = 64;

/// Reads a certificate chain and its private key (PEM).
pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("cannot read the TLS certificate {}: {e}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("the TLS certificate {} is not PEM: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!(
            "the TLS certificate file {} holds no certificate (it needs a \"BEGIN CERTIFICATE\" block)",
            cert.display()
        );
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        anyhow::anyhow!(
            "cannot read a private key from {} ({e}); give the PEM key that belongs to the certificate",
            key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| anyhow::anyhow!("TLS set-up: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| {
            anyhow::anyhow!(
                "the key {} does not fit the certificate {}: {e}",
                key.display(),
                cert.display()
            )
        })?;
    // axum serves HTTP/1.1 (WebSocket upgrades need it).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The relay's certificate, reloadable while it serves.
#[derive(Debug, Clone)]
pub struct ServerTls {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl ServerTls {
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: Arc::new(RwLock::new(load(cert, key)?)),
        })
    }

    /// Reads the files again; on an error the old certificate stays.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = load(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

/// A TCP listener that hands axum finished TLS connections.
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, tls: ServerTls) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(accept_loop(tcp, tls, tx));
        Ok(Self { ready, local })
    }
}

async fn accept_loop(
    tcp: TcpListener,
    tls: ServerTls,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let permit = tokio::select! {
            _ = tx.closed() => return,
            p = slots.clone().acquire_owned() => p,
        };
        let Ok(permit) = permit else { return };
        let (stream, peer) = tokio::select! {
            _ = tx.closed() => return,
            accepted = tcp.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let acceptor = tls.acceptor();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls_stream)) => {
                    let _ = tx.send((tls_stream, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
