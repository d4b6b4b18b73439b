//! The one `Runtime` API, shared by the embedded runtime (a direct library
//! call) and the remote client (the same calls over REST): requests,
//! results and the typed error with stable codes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bundle::{Availability, BundleRef, BundleSummary, ConfigBundle, StoreOutcome};

/// How a worker's profile is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum ProfileSelector {
    /// The runtime's default profile (the host policy's `default` builtin
    /// profile, or an empty one). Needs no bundle.
    RuntimeDefault,
    /// A profile the runtime host defines itself. Needs no bundle.
    Builtin(String),
    /// A profile from a synced config bundle; requires `bundle`.
    Named(String),
}

/// A request to create a worker: intent + profile selector + optional
/// bundle ref + requested capabilities. Never a fully resolved spec: the
/// runtime resolves plugins and grants itself, from its own policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkerRequest {
    /// What the worker is for (free text, bounded).
    pub intent: String,
    /// Which profile.
    pub profile: ProfileSelector,
    /// The synced bundle a named profile comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleRef>,
    /// Capabilities the worker asks for (`capability:<name>`).
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// Whether a worker runs from a synced bundle or a runtime fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerMode {
    /// Runtime default or builtin profile, no bundle.
    Fallback,
    /// A named profile of a synced bundle.
    SyncedBundle,
}

/// One plugin as a worker sees it: identity, tools, and the effective
/// grants (mount names and operations only, never host directories).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerPlugin {
    /// The plugin, pinned exactly.
    pub plugin: crate::identity::PluginPin,
    /// Tool names.
    pub tools: Vec<String>,
    /// Effective grants: mount name → operations.
    pub grants: Vec<EffectiveGrant>,
    /// Granted network references (`network:<name>`; URLs and secrets stay
    /// in the host policy).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<String>,
}

/// An effective grant as reported to callers (no host path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveGrant {
    /// Mount name.
    pub mount: String,
    /// Operations allowed.
    pub ops: Vec<crate::grant::Operation>,
}

/// A worker as reported by the runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// Worker id (assigned by the runtime).
    pub id: String,
    /// The request's intent.
    pub intent: String,
    /// The selector it was created with.
    pub profile: ProfileSelector,
    /// The bundle, for synced-bundle workers.
    pub bundle: Option<BundleRef>,
    /// Fallback or synced bundle.
    pub mode: WorkerMode,
    /// Capabilities granted.
    pub capabilities: Vec<String>,
    /// The resolved plugins.
    pub plugins: Vec<WorkerPlugin>,
}

/// A tool invocation on a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvokeRequest {
    /// The plugin, when the tool name alone is ambiguous on this worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Tool input (validated against the tool's schema).
    pub input: Value,
}

/// What a tool call produced: its output, or the typed call error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvokeOutcome {
    /// The plugin that ran.
    pub plugin: String,
    /// The tool that ran.
    pub tool: String,
    /// The tool's JSON output, if it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// The call error (`timeout`, `tool-failed`, …), if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// A typed error as it crosses the API: stable code and safe message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code.
    pub code: String,
    /// Safe, bounded message (no store or host paths, no secrets).
    pub message: String,
}

/// Stable codes of [`RuntimeError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeErrorCode {
    /// The bundle is invalid (fields, references, digest).
    InvalidBundle,
    /// No bundle with that id.
    BundleMissing,
    /// The bundle id exists, but not with that digest.
    DigestMismatch,
    /// The profile selector names no profile (or needs a bundle).
    InvalidProfile,
    /// A declaration this runtime cannot provide.
    UnsupportedDeclaration,
    /// A capability or grant the host policy does not allow.
    CapabilityDenied,
    /// An enabled plugin is not installed / not loadable here.
    PluginUnavailable,
    /// No worker with that id.
    WorkerNotFound,
    /// No such tool on the worker (or ambiguous without `plugin`).
    ToolNotFound,
    /// The tool input does not match the tool's schema.
    InvalidInput,
    /// The request is malformed.
    BadRequest,
    /// Missing or wrong credentials (remote only).
    Unauthorized,
    /// The request body is too large (remote only).
    PayloadTooLarge,
    /// The remote runtime could not be reached or answered nonsense.
    Transport,
    /// The request took longer than the service's request timeout.
    RequestTimeout,
    /// The runtime already holds as many workers as its policy allows.
    WorkerLimit,
    /// Every tool-call slot is taken and the queue is full; retry later.
    Busy,
    /// Runtime-side state failed an integrity check (a stored bundle
    /// edited or corrupted on disk); the operator must repair or resync it.
    Integrity,
    /// Runtime-side failure (storage, engine).
    Internal,
}

impl RuntimeErrorCode {
    /// The stable text of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeErrorCode::InvalidBundle => "invalid-bundle",
            RuntimeErrorCode::BundleMissing => "bundle-missing",
            RuntimeErrorCode::DigestMismatch => "digest-mismatch",
            RuntimeErrorCode::InvalidProfile => "invalid-profile",
            RuntimeErrorCode::UnsupportedDeclaration => "unsupported-declaration",
            RuntimeErrorCode::CapabilityDenied => "capability-denied",
            RuntimeErrorCode::PluginUnavailable => "plugin-unavailable",
            RuntimeErrorCode::WorkerNotFound => "worker-not-found",
            RuntimeErrorCode::ToolNotFound => "tool-not-found",
            RuntimeErrorCode::InvalidInput => "invalid-input",
            RuntimeErrorCode::BadRequest => "bad-request",
            RuntimeErrorCode::Unauthorized => "unauthorized",
            RuntimeErrorCode::PayloadTooLarge => "payload-too-large",
            RuntimeErrorCode::Transport => "transport",
            RuntimeErrorCode::RequestTimeout => "request-timeout",
            RuntimeErrorCode::WorkerLimit => "worker-limit",
            RuntimeErrorCode::Busy => "busy",
            RuntimeErrorCode::Integrity => "integrity",
            RuntimeErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status the REST service answers with.
    pub fn http_status(self) -> u16 {
        match self {
            RuntimeErrorCode::BundleMissing
            | RuntimeErrorCode::WorkerNotFound
            | RuntimeErrorCode::ToolNotFound => 404,
            RuntimeErrorCode::DigestMismatch => 409,
            RuntimeErrorCode::InvalidBundle
            | RuntimeErrorCode::InvalidProfile
            | RuntimeErrorCode::UnsupportedDeclaration
            | RuntimeErrorCode::InvalidInput => 422,
            RuntimeErrorCode::CapabilityDenied => 403,
            RuntimeErrorCode::PluginUnavailable => 424,
            RuntimeErrorCode::BadRequest => 400,
            RuntimeErrorCode::Unauthorized => 401,
            RuntimeErrorCode::PayloadTooLarge => 413,
            RuntimeErrorCode::Transport => 502,
            RuntimeErrorCode::WorkerLimit => 429,
            RuntimeErrorCode::Busy => 503,
            RuntimeErrorCode::RequestTimeout => 408,
            RuntimeErrorCode::Integrity | RuntimeErrorCode::Internal => 500,
        }
    }
}

/// A runtime API error: a stable code and a safe, bounded message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{}: {message}", code.as_str())]
pub struct RuntimeError {
    /// Stable code.
    pub code: RuntimeErrorCode,
    /// Safe message.
    pub message: String,
}

impl RuntimeError {
    /// An error with a bounded message.
    pub fn new(code: RuntimeErrorCode, message: impl std::fmt::Display) -> Self {
        RuntimeError {
            code,
            message: crate::diag::bound(&message.to_string(), 400),
        }
    }
}

impl crate::error::ErrorCode for RuntimeError {
    fn code(&self) -> &'static str {
        self.code.as_str()
    }
}

/// The runtime API. Implemented by the embedded runtime and by the REST
/// client; a [`crate::registry::RuntimeRegistry`] routes between several.
#[async_trait::async_trait]
pub trait Runtime: Send + Sync {
    /// Stores (syncs) a bundle after validating it and verifying its digest.
    async fn store_bundle(&self, bundle: ConfigBundle) -> Result<StoreOutcome, RuntimeError>;
    /// Whether the runtime can serve: O(1), touches no stored bundle.
    async fn ready(&self) -> Result<(), RuntimeError>;
    /// Lists stored bundles.
    async fn list_bundles(&self) -> Result<Vec<BundleSummary>, RuntimeError>;
    /// Availability of a bundle by id + digest.
    async fn bundle_availability(
        &self,
        id: &str,
        digest: &str,
    ) -> Result<Availability, RuntimeError>;
    /// Creates a worker.
    async fn create_worker(&self, request: CreateWorkerRequest)
    -> Result<WorkerInfo, RuntimeError>;
    /// Lists workers, ordered by id.
    async fn list_workers(&self) -> Result<Vec<WorkerInfo>, RuntimeError>;
    /// One worker.
    async fn get_worker(&self, id: &str) -> Result<WorkerInfo, RuntimeError>;
    /// Deletes a worker.
    async fn delete_worker(&self, id: &str) -> Result<(), RuntimeError>;
    /// Invokes a tool on a worker.
    async fn invoke(
        &self,
        worker: &str,
        tool: &str,
        request: InvokeRequest,
    ) -> Result<InvokeOutcome, RuntimeError>;
}
