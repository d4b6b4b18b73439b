//! Scale-out without a cluster layer: several runtimes (embedded or
//! remote, anything implementing [`Runtime`]) held by id, and helpers that
//! route bundle sync and worker creation to the one a caller names
//! (see `docs/architecture.md`).
//!
//! The registry does not balance, retry, replicate or track health: the
//! caller decides which runtime a worker goes to, and
//! [`RuntimeRegistry::sync_bundle_everywhere`] reports each runtime's
//! outcome separately so one unreachable runtime never hides the others'
//! results.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bundle::rules::is_identifier;
use crate::bundle::{Availability, ConfigBundle, StoreOutcome};
use crate::workers::api::{
    CreateWorkerRequest, Runtime, RuntimeError, RuntimeErrorCode, WorkerInfo,
};

/// Runtimes by id (path-safe identifiers, [`is_identifier`]), in id order.
#[derive(Clone, Default)]
pub struct RuntimeRegistry {
    runtimes: BTreeMap<String, Arc<dyn Runtime>>,
}

impl std::fmt::Debug for RuntimeRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeRegistry")
            .field("ids", &self.runtimes.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The error for a runtime id the registry does not hold. An id that is not
/// a valid identifier is not echoed (it is caller data of any shape).
fn unknown_runtime(id: &str) -> RuntimeError {
    if is_identifier(id) {
        RuntimeError::new(
            RuntimeErrorCode::BadRequest,
            format!("no runtime is registered as '{id}'"),
        )
    } else {
        RuntimeError::new(
            RuntimeErrorCode::BadRequest,
            "no runtime is registered under that id",
        )
    }
}

impl RuntimeRegistry {
    /// An empty registry.
    pub fn new() -> RuntimeRegistry {
        RuntimeRegistry::default()
    }

    /// Registers `runtime` as `id`. Refused (`bad-request`): an id that is
    /// not a path-safe identifier, or one already registered.
    pub fn add(
        &mut self,
        id: impl Into<String>,
        runtime: Arc<dyn Runtime>,
    ) -> Result<(), RuntimeError> {
        let id = id.into();
        if !is_identifier(&id) {
            return Err(RuntimeError::new(
                RuntimeErrorCode::BadRequest,
                "a runtime id must be a path-safe identifier (1-128 of [A-Za-z0-9._-])",
            ));
        }
        if self.runtimes.contains_key(&id) {
            return Err(RuntimeError::new(
                RuntimeErrorCode::BadRequest,
                format!("a runtime is already registered as '{id}'"),
            ));
        }
        self.runtimes.insert(id, runtime);
        Ok(())
    }

    /// The runtime registered as `id`.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn Runtime>> {
        self.runtimes.get(id)
    }

    /// The registered ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.runtimes.keys().map(String::as_str)
    }

    /// The runtime registered as `id`, or the `bad-request` error.
    fn route(&self, id: &str) -> Result<&Arc<dyn Runtime>, RuntimeError> {
        self.get(id).ok_or_else(|| unknown_runtime(id))
    }

    /// Syncs `bundle` to the runtime `runtime_id`.
    pub async fn sync_bundle(
        &self,
        runtime_id: &str,
        bundle: ConfigBundle,
    ) -> Result<StoreOutcome, RuntimeError> {
        self.route(runtime_id)?.store_bundle(bundle).await
    }

    /// Whether the runtime `runtime_id` has bundle `id` with `digest`.
    pub async fn bundle_availability(
        &self,
        runtime_id: &str,
        id: &str,
        digest: &str,
    ) -> Result<Availability, RuntimeError> {
        self.route(runtime_id)?
            .bundle_availability(id, digest)
            .await
    }

    /// Creates a worker on the runtime `runtime_id`.
    pub async fn create_worker(
        &self,
        runtime_id: &str,
        request: CreateWorkerRequest,
    ) -> Result<WorkerInfo, RuntimeError> {
        self.route(runtime_id)?.create_worker(request).await
    }

    /// Syncs `bundle` to every registered runtime, concurrently; the
    /// outcome of each, by runtime id. A runtime whose sync task panics is
    /// reported as `internal`.
    pub async fn sync_bundle_everywhere(
        &self,
        bundle: &ConfigBundle,
    ) -> BTreeMap<String, Result<StoreOutcome, RuntimeError>> {
        let mut tasks = tokio::task::JoinSet::new();
        for (id, runtime) in &self.runtimes {
            let (id, runtime, bundle) = (id.clone(), Arc::clone(runtime), bundle.clone());
            tasks.spawn(async move { (id, runtime.store_bundle(bundle).await) });
        }
        let mut outcomes: BTreeMap<String, Result<StoreOutcome, RuntimeError>> = self
            .runtimes
            .keys()
            .map(|id| {
                let lost = RuntimeError::new(
                    RuntimeErrorCode::Internal,
                    "the sync task for this runtime failed",
                );
                (id.clone(), Err(lost))
            })
            .collect();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((id, outcome)) = joined {
                outcomes.insert(id, outcome);
            }
        }
        outcomes
    }
}
