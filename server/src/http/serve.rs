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
//! Per-person limits on long-lived streams are the handlers' (api/live.rs).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
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

/// Serves `router` on `listener` until `shutdown` completes and the connections have closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
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
        // HTTP/1.1 only: the automatic HTTP/2 detection reads the first bytes with no time
        // limit, so a silent connection would never be closed. (Behind a proxy that speaks
        // HTTP/2 to browsers, the proxy speaks HTTP/1.1 to Tollgate.)
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
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
        std::future::pending::<()>(),
    ));
    Ok((addr, task))
}
