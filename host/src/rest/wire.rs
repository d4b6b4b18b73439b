//! The JSON envelopes of the REST API, shared by the server and the client
//! so the two cannot drift apart. Payloads themselves are the
//! [`crate::workers::api`] and [`crate::bundle`] types.

use serde::{Deserialize, Serialize};

use crate::bundle::{BundleSummary, StoreOutcome};
use crate::workers::api::{ErrorBody, RuntimeError, WorkerInfo};

/// Every non-2xx body: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorEnvelope {
    /// The stable code and the safe message.
    pub error: ErrorBody,
}

impl From<&RuntimeError> for ErrorEnvelope {
    fn from(e: &RuntimeError) -> Self {
        ErrorEnvelope {
            error: ErrorBody {
                code: e.code.as_str().to_owned(),
                message: e.message.clone(),
            },
        }
    }
}

/// `GET /v1/config-bundles`: the stored bundles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleList {
    /// Summaries, in the runtime's order.
    pub bundles: Vec<BundleSummary>,
}

/// `POST /v1/config-bundles`: what storing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreResult {
    /// `stored` (201) or `already-present` (200).
    pub outcome: StoreOutcome,
}

/// `GET /v1/workers`: the live workers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerList {
    /// Workers, ordered by id.
    pub workers: Vec<WorkerInfo>,
}

/// `GET /healthz` and `GET /readyz` when all is well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// `ok` (healthz) or `ready` (readyz).
    pub status: String,
}

/// The query of `GET /v1/config-bundles/{id}/availability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestQuery {
    /// The exact content digest asked about.
    pub digest: String,
}
