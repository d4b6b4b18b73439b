//! The REST server: routes (see the table in [`super`]), handlers that are
//! thin translations onto a [`Runtime`], request logging, and graceful
//! shutdown.
//!
//! Every request is logged once through `tracing` (target `yoi::rest`):
//! method, the matched route template (never the concrete path, whose
//! segments are caller data), status and latency. Bodies, queries and
//! headers are never logged.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use super::config::{ConnectionLimits, ServerConfig, ServerConfigError};

use super::auth::{TokenCheck, require_token};
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery, BodyLimit};
use super::wire::{BundleList, DigestQuery, Status, StoreResult, WorkerList};
use crate::bundle::{Availability, ConfigBundle, StoreOutcome};
use crate::workers::api::{
    CreateWorkerRequest, InvokeOutcome, InvokeRequest, Runtime, RuntimeErrorCode, WorkerInfo,
};

/// How long `/readyz` waits for the runtime before answering 503.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// The content type of `/metrics` (Prometheus text exposition).
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What every handler can reach.
#[derive(Clone)]
struct AppState {
    runtime: Arc<dyn Runtime>,
    body_limit: BodyLimit,
}

impl FromRef<AppState> for BodyLimit {
    fn from_ref(state: &AppState) -> BodyLimit {
        state.body_limit
    }
}

/// The REST API over `runtime` as an axum router (routes, auth, body cap,
/// JSON errors, request logging). Serve it with [`serve`], or mount it in
/// a larger application.
///
/// An empty `config.token` authorizes nobody (every authenticated route
/// answers 401); [`serve`] refuses such a configuration outright.
pub fn router(runtime: Arc<dyn Runtime>, config: ServerConfig) -> Router {
    let state = AppState {
        runtime,
        body_limit: BodyLimit(config.max_body_bytes),
    };
    let authenticated = Router::new()
        .route("/metrics", get(metrics))
        .route("/v1/config-bundles", get(list_bundles).post(store_bundle))
        .route(
            "/v1/config-bundles/{id}/availability",
            get(bundle_availability),
        )
        .route("/v1/workers", get(list_workers).post(create_worker))
        .route("/v1/workers/{id}", get(get_worker).delete(delete_worker))
        .route("/v1/workers/{id}/tools/{tool}/invoke", post(invoke))
        .route_layer(middleware::from_fn_with_state(
            TokenCheck::new(&config.token),
            require_token,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(authenticated)
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            config.connections.request_timeout,
            request_timeout,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Serves the REST API over `runtime` on `listener` until `shutdown`
/// completes, then stops accepting connections, lets the requests in
/// flight finish for at most the shutdown grace, and drops the rest.
///
/// Every connection is bounded ([`ConnectionLimits`]): at most
/// `max_connections` are served at once (the next wait in the listen
/// backlog), headers must arrive within `header_timeout` (which also
/// closes idle keep-alive connections), a request takes at most
/// `request_timeout`, a connection lives at most `max_lifetime`.
///
/// Refuses (`InvalidInput`) a configuration with an empty token or a zero
/// body cap.
pub async fn serve(
    listener: tokio::net::TcpListener,
    runtime: Arc<dyn Runtime>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let limits = config.connections;
    super::connections::serve_bounded(listener, router(runtime, config), limits, shutdown).await
}

/// Ends a request that takes longer than `limit` (body and handler) with
/// 408 `request-timeout`; dropping the handler cancels its work (a tool
/// call in progress is cancelled with it).
async fn request_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            RuntimeErrorCode::RequestTimeout,
            "the request took too long",
        )
        .with_status(StatusCode::REQUEST_TIMEOUT)
        .into_response(),
    }
}

/// Logs method, route template, status and latency of every request.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(target: "yoi::rest", %method, route = %route, status, latency_ms, "request");
    response
}

async fn healthz() -> Json<Status> {
    Json(Status {
        status: "ok".to_owned(),
    })
}

async fn readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, state.runtime.ready()).await {
        Ok(Ok(_)) => Ok(Json(Status {
            status: "ready".to_owned(),
        })),
        Ok(Err(e)) => Err(ApiError::from(e).with_status(StatusCode::SERVICE_UNAVAILABLE)),
        Err(_) => Err(ApiError::new(
            RuntimeErrorCode::Internal,
            "the runtime did not answer in time",
        )
        .with_status(StatusCode::SERVICE_UNAVAILABLE)),
    }
}

async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        crate::metrics::encode(),
    )
        .into_response()
}

async fn list_bundles(State(state): State<AppState>) -> Result<Json<BundleList>, ApiError> {
    let bundles = state.runtime.list_bundles().await?;
    Ok(Json(BundleList { bundles }))
}

async fn store_bundle(
    State(state): State<AppState>,
    ApiJson(bundle): ApiJson<ConfigBundle>,
) -> Result<(StatusCode, Json<StoreResult>), ApiError> {
    let outcome = state.runtime.store_bundle(bundle).await?;
    let status = match outcome {
        StoreOutcome::Stored => StatusCode::CREATED,
        StoreOutcome::AlreadyPresent => StatusCode::OK,
    };
    Ok((status, Json(StoreResult { outcome })))
}

async fn bundle_availability(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DigestQuery>,
) -> Result<Json<Availability>, ApiError> {
    Ok(Json(
        state
            .runtime
            .bundle_availability(&id, &query.digest)
            .await?,
    ))
}

async fn create_worker(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateWorkerRequest>,
) -> Result<(StatusCode, Json<WorkerInfo>), ApiError> {
    let worker = state.runtime.create_worker(request).await?;
    Ok((StatusCode::CREATED, Json(worker)))
}

async fn list_workers(State(state): State<AppState>) -> Result<Json<WorkerList>, ApiError> {
    let workers = state.runtime.list_workers().await?;
    Ok(Json(WorkerList { workers }))
}

async fn get_worker(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WorkerInfo>, ApiError> {
    Ok(Json(state.runtime.get_worker(&id).await?))
}

async fn delete_worker(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.runtime.delete_worker(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn invoke(
    State(state): State<AppState>,
    ApiPath((worker, tool)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<InvokeRequest>,
) -> Result<Json<InvokeOutcome>, ApiError> {
    Ok(Json(state.runtime.invoke(&worker, &tool, request).await?))
}

async fn unknown_route() -> ApiError {
    ApiError::bad_request("no such route").with_status(StatusCode::NOT_FOUND)
}

async fn method_not_allowed() -> ApiError {
    ApiError::bad_request("method not allowed on this route")
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
}
