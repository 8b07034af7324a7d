//! The listener: accepts connections and serves the router on them, within limits that keep
//! slow or silent clients from holding the server's resources.
//!
//! - **At most `max_connections` at once.** Past that, new connections wait in the kernel's
//!   backlog until one closes (nothing is read from them, so they cost no memory here).
//! - **Headers within `header_timeout`.** A request's head must arrive whole within this time
//!   of the connection being ready for it; the same timer closes a keep-alive connection that
//!   stays idle that long. A half-sent request or a silent connection is closed, not kept.
//! - **Graceful stop.** When `shutdown` completes, no new connection is accepted, connections
//!   finish the request they are serving and close; open event streams end by themselves
//!   ([`crate::store::live::begin_shutdown`]).
//!
//! - **HTTPS** when given a certificate and key ([`Tls`]): the handshake is bounded by the
//!   header timeout too, and the files are read again on SIGHUP (a renewed certificate is used
//!   for new connections; a bad one is logged and the old one kept).
//!
//! Per-person limits on long-lived streams are the handlers' (api/live.rs).

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How many connections, and how long a request's head may take to arrive.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(30),
        }
    }
}

/// Serving HTTPS: the PEM files and the configuration last read from them.
#[derive(Clone)]
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<RwLock<TlsAcceptor>>,
}

impl Tls {
    /// Reads `cert` (a chain) and `key`. Err: a sentence naming the file at fault.
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, String> {
        let config = crate::tls::server_config(cert, key)?;
        Ok(Tls {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: Arc::new(RwLock::new(TlsAcceptor::from(Arc::new(config)))),
        })
    }

    /// Reads the files again; on an error the configuration in use stays.
    pub fn reload(&self) -> Result<(), String> {
        let config = crate::tls::server_config(&self.cert, &self.key)?;
        *self.current.write().expect("not poisoned") = TlsAcceptor::from(Arc::new(config));
        Ok(())
    }

    /// Reloads on every SIGHUP, for as long as the process runs.
    pub fn reload_on_sighup(&self) {
        let tls = self.clone();
        tokio::spawn(async move {
            let Ok(mut hup) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            else {
                return;
            };
            while hup.recv().await.is_some() {
                match tls.reload() {
                    Ok(()) => {
                        tracing::info!(cert = %tls.cert.display(), "reloaded the TLS certificate")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the TLS certificate was not reloaded; the previous one stays")
                    }
                }
            }
        });
    }

    fn acceptor(&self) -> TlsAcceptor {
        self.current.read().expect("not poisoned").clone()
    }
}

/// Serves `router` on `listener` until `shutdown` completes and the connections have closed;
/// over HTTPS when `tls` is given.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Pages stream in several small writes: without TCP_NODELAY the second one waits for
        // the browser's delayed ACK (≈40 ms on Linux).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        let service = router
            .clone()
            .map_request(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.map(axum::body::Body::new)
            });
        let watcher = graceful.watcher();
        let acceptor = tls.as_ref().map(Tls::acceptor);
        tokio::spawn(async move {
            let result = match acceptor {
                None => serve_connection(tcp, service, limits, watcher).await,
                // The handshake has the head's time limit: a silent client is closed.
                Some(acceptor) => {
                    match tokio::time::timeout(limits.header_timeout, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => serve_connection(tls, service, limits, watcher).await,
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, %peer, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => Ok(()),
                    }
                }
            };
            if let Err(e) = result {
                tracing::trace!(error = %e, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    // Requests in flight finish; the caller bounds how long this may take.
    graceful.shutdown().await;
    Ok(())
}

/// One connection, HTTP/1.1 only: the automatic HTTP/2 detection reads the first bytes with no
/// time limit, so a silent connection would never be closed. (Behind a proxy that speaks HTTP/2
/// to browsers, the proxy speaks HTTP/1.1 to Tollgate.)
async fn serve_connection<IO, S>(
    io: IO,
    service: S,
    limits: Limits,
    watcher: hyper_util::server::graceful::Watcher,
) -> Result<(), hyper::Error>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
    watcher.watch(conn).await
}

/// [`serve`] on a random local port for tests: (address, task).
pub async fn spawn_local(
    router: Router,
    limits: Limits,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(serve(
        listener,
        router,
        limits,
        None,
        std::future::pending::<()>(),
    ));
    Ok((addr, task))
}
