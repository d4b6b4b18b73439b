//! Hostile clients cannot starve the service: slow-header and idle
//! connections are closed after the header timeout, connections are
//! capped, and shutdown finishes within its grace even with a half-sent
//! request open. Loopback only, bounded counts and times.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use yoi_plugin_host::rest::{ConnectionLimits, ServerConfig};

use super::support::{Fake, Server, TOKEN, answer, http};

fn config(max_connections: usize) -> ServerConfig {
    let mut config = ServerConfig::new(TOKEN).unwrap();
    config.connections = ConnectionLimits {
        max_connections,
        header_timeout: Duration::from_millis(400),
        shutdown_grace: Duration::from_millis(500),
        ..ConnectionLimits::default()
    };
    config
}

/// Opens a connection that sends part of a request's headers, never the end.
async fn slow_header(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    stream
}

/// Whether the server closed `stream` within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(within, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // an error response before the close
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn slow_header_and_idle_connections_are_closed() {
    let server = Server::start(Arc::new(Fake::default()), config(64)).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        slow.push(slow_header(&server).await);
    }
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    for stream in slow.iter_mut().chain([&mut idle]) {
        assert!(
            closed_within(stream, Duration::from_secs(5)).await,
            "the server keeps a stalled connection open"
        );
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn connections_are_capped_and_a_slot_frees_after_the_header_timeout() {
    let server = Server::start(Arc::new(Fake::default()), config(2)).await;
    let _held = [slow_header(&server).await, slow_header(&server).await];
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A third client waits for a slot (it is in the listen backlog), then
    // is served once the stalled ones time out: never refused, never stuck.
    let started = Instant::now();
    let (status, _) = answer(http().get(server.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250),
        "not capped: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "starved: {waited:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_is_bounded_with_a_half_sent_request_open() {
    let mut config = config(8);
    // A long header timeout: only the shutdown grace can end this client.
    config.connections.header_timeout = Duration::from_secs(60);
    let server = Server::start(Arc::new(Fake::default()), config).await;
    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"POST /v1/config-bundles HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
