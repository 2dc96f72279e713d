//! Serving a fake on a loopback port, over HTTP or HTTPS (shared by the
//! RESO and RETS fakes).

use axum::Router;

/// Serves `app` on a loopback port: plain HTTP, or HTTPS with `tls`
/// (certificate, key) through the relay's TLS listener.
pub async fn serve(
    app: Router,
    tls: Option<(&std::path::Path, &std::path::Path)>,
) -> (&'static str, std::net::SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    match tls {
        Some((cert, key)) => {
            let tls = porchlight_relay::tls::ServerTls::load(cert, key).expect("tls");
            let listener =
                porchlight_relay::tls::TlsListener::new(listener, tls).expect("tls listener");
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            ("https", addr)
        }
        None => {
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            ("http", addr)
        }
    }
}
