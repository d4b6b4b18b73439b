//! The bounded accept loop every HTTP surface of the host goes through
//! (the REST service and the MCP streamable-HTTP transport), so one set of
//! [`ConnectionLimits`] holds for all of them:
//!
//! - at most `max_connections` are served at once (the next wait in the
//!   listen backlog);
//! - headers must arrive within `header_timeout`, which also closes idle
//!   keep-alive connections;
//! - a connection lives at most `max_lifetime`;
//! - on shutdown, accepting stops, requests in flight get at most
//!   `shutdown_grace`, and the rest are dropped.
//!
//! (The per-request timeout is a layer of each router.)

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use super::config::ConnectionLimits;

/// Serves `app` on `listener` under `limits` until `shutdown` completes.
pub(crate) async fn serve_bounded(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(target: "yoi::rest", kind = ?e.kind(), "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let lifetime = limits.max_lifetime;
        connections.spawn(async move {
            let _ = tokio::time::timeout(lifetime, connection).await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(target: "yoi::rest", "shutdown grace elapsed; dropping open connections");
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    Ok(())
}
