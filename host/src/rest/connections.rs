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
//!   `shutdown_grace`, and the rest are dropped;
//! - a client that hangs up while its request runs has the request's
//!   handler dropped at once (hyper detects the end of stream on a busy
//!   connection), and with it the tool call, which is cancelled
//!   (`tests::a_client_that_goes_away_drops_its_request`).
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
                Ok((stream, _)) => {
                    // Answers go out in several small writes (status line,
                    // headers, SSE frames): without NODELAY, Nagle's
                    // algorithm holds the last one for the client's
                    // delayed ACK (~40 ms per MCP-over-HTTP call).
                    let _ = stream.set_nodelay(true);
                    stream
                }
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};

    use axum::routing::post;

    use super::*;

    /// Sets its flag when dropped (as a dropped call future cancels its call).
    struct Dropped(Arc<AtomicBool>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_client_that_goes_away_drops_its_request() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = dropped.clone();
        let app = Router::new().route(
            "/slow",
            post(move || {
                let guard = Dropped(flag.clone());
                async move {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    drop(guard);
                    "done"
                }
            }),
        );
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = rt.spawn(serve_bounded(
            listener,
            app,
            ConnectionLimits::default(),
            async move {
                let _ = stopped.await;
            },
        ));
        // A complete request, then the client hangs up before the answer.
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client
            .write_all(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            !dropped.load(Ordering::SeqCst),
            "still running while connected"
        );
        drop(client);
        let started = std::time::Instant::now();
        while !dropped.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            dropped.load(Ordering::SeqCst),
            "the handler (and with it the call) was dropped when the client left"
        );
        let _ = stop.send(());
        rt.block_on(server).unwrap().unwrap();
    }
}
