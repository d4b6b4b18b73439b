//! The networked runtime: the [`Runtime`](crate::workers::api::Runtime) API
//! over REST (axum on tokio), and the client that speaks it
//! ([`client::RemoteRuntime`]), so an embedded and a remote runtime give
//! identical results. The server is feature `rest-server`, the client
//! feature `rest-client`.
//!
//! | method | path | auth | success | body |
//! |---|---|---|---|---|
//! | GET | `/healthz` | no | 200 | `{"status":"ok"}` |
//! | GET | `/readyz` | no | 200 / 503 | `{"status":"ready"}` / error |
//! | GET | `/metrics` | yes | 200 | Prometheus text |
//! | GET | `/v1/config-bundles` | yes | 200 | `{"bundles":[BundleSummary…]}` |
//! | POST | `/v1/config-bundles` | yes | 201 / 200 | `{"outcome":"stored"}` / `{"outcome":"already-present"}` |
//! | GET | `/v1/config-bundles/{id}/availability?digest=…` | yes | 200 | `Availability` |
//! | POST | `/v1/workers` | yes | 201 | `WorkerInfo` |
//! | GET | `/v1/workers` | yes | 200 | `{"workers":[WorkerInfo…]}` |
//! | GET | `/v1/workers/{id}` | yes | 200 | `WorkerInfo` |
//! | DELETE | `/v1/workers/{id}` | yes | 204 | — |
//! | POST | `/v1/workers/{id}/tools/{tool}/invoke` | yes | 200 | `InvokeOutcome` |
//!
//! Every other answer is `{"error":{"code":"…","message":"…"}}` with a
//! stable [`RuntimeErrorCode`](crate::workers::api::RuntimeErrorCode) text,
//! and the status of its `http_status()`; the exceptions are an unknown
//! route (404, code `bad-request`), a known route with the wrong method
//! (405, code `bad-request`) and `/readyz` when the runtime does not answer
//! (503, the runtime's code). Messages never carry store paths, host paths,
//! secrets, or more than a bounded excerpt of what the caller sent.
//!
//! Authentication is a bearer token (`Authorization: Bearer <token>`),
//! compared in constant time over SHA-256 digests (so neither content nor
//! length leaks through timing). A missing and a wrong token get the same
//! 401 body. `/metrics` requires the token too: its counts (workers,
//! bundles, calls, denials) describe activity an anonymous caller has no
//! business seeing. Request bodies are capped ([`ServerConfig`]); a larger
//! body gets 413 `payload-too-large` in the same JSON shape.
//!
//! This build has no TLS: the client only talks to loopback addresses, and
//! the `serve` CLI only listens on them.

#[cfg(feature = "rest-server")]
pub(crate) mod auth;
#[cfg(feature = "rest-client")]
pub mod client;
#[cfg(feature = "rest-server")]
mod config;
#[cfg(feature = "rest-server")]
pub(crate) mod connections;
#[cfg(feature = "rest-server")]
mod error;
#[cfg(feature = "rest-server")]
mod extract;
#[cfg(feature = "rest-server")]
pub mod server;
pub mod wire;

#[cfg(feature = "rest-client")]
pub use client::RemoteRuntime;
#[cfg(feature = "rest-server")]
pub use server::{ConnectionLimits, ServerConfig, ServerConfigError, router, serve};

/// Default cap on a request body, in bytes (2 MiB): a bundle is at most
/// 1 MiB of JSON ([`crate::bundle::MAX_BUNDLE_JSON_BYTES`]), tool inputs are
/// smaller still.
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Longest excerpt of a JSON parse error (which may quote the body) that
/// goes into a `bad-request` message.
pub const MAX_PARSE_ERROR_BYTES: usize = 200;
