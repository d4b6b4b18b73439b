//! MCP over streamable HTTP at `/mcp`, behind the REST service's bearer
//! token rule and through its bounded accept loop
//! (`rest/connections.rs`: connection cap, header timeout, lifetime,
//! shutdown grace).
//!
//! - Every request to `/mcp` needs `Authorization: Bearer <token>`
//!   (compared in constant time, `rest/auth.rs`); anything else gets the
//!   same 401. An empty token is refused at start.
//! - rmcp checks the `Host` header against loopback names (DNS-rebinding
//!   protection); the CLI binds loopback addresses only.
//! - A request body is capped at the server's input bound (plus framing).
//! - On shutdown every session's token is cancelled, which cancels the
//!   calls in flight.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use super::handler::{McpServer, McpState};
use crate::rest::ConnectionLimits;
use crate::rest::auth::{TokenCheck, require_token};

/// The path the MCP endpoint is served at.
pub const MCP_PATH: &str = "/mcp";

/// Room for the JSON-RPC envelope around a tool input.
const ENVELOPE_BYTES: usize = 64 * 1024;

/// The MCP endpoint as an axum router (auth included).
pub fn router(
    state: Arc<McpState>,
    token: &str,
    max_input_bytes: usize,
    stop: CancellationToken,
) -> Router {
    let config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(max_input_bytes.saturating_add(ENVELOPE_BYTES))
        .with_cancellation_token(stop);
    let service: StreamableHttpService<McpServer, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(McpServer::new(state.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(MCP_PATH, service)
        .route_layer(middleware::from_fn_with_state(
            TokenCheck::new(token),
            require_token,
        ))
        .fallback(|| async { StatusCode::NOT_FOUND })
}

/// Serves MCP over streamable HTTP on `listener` until `shutdown`
/// completes. Refuses (`InvalidInput`) an empty token.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<McpState>,
    token: &str,
    max_input_bytes: usize,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if token.trim().is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the bearer token is empty",
        ));
    }
    let stop = CancellationToken::new();
    let app = router(state, token, max_input_bytes, stop.child_token());
    let cancel_sessions = stop.clone();
    let shutdown = async move {
        shutdown.await;
        cancel_sessions.cancel();
    };
    crate::rest::connections::serve_bounded(listener, app, limits, shutdown).await
}
