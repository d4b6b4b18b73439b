//! The embedded runtime: the [`Runtime`] API as direct library calls.
//!
//! State lives under one directory: `bundles/` (the bundle store),
//! `plugins/` (the plugin store, unless configured elsewhere), `workers/`
//! (one JSON record per worker: its request, so workers survive a restart),
//! `cache/` (compiled components). Blocking work (file I/O, compilation)
//! runs on tokio's blocking pool.
//!
//! Restored workers are resolved lazily: opening reads only the records
//! (bounded by the policy's worker cap); a worker's bundle and plugins are
//! resolved on its first use. One that no longer resolves is then dropped,
//! and that use gets the resolution's typed error.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use super::api::{
    CreateWorkerRequest, ErrorBody, InvokeOutcome, InvokeRequest, Runtime, RuntimeError,
    RuntimeErrorCode as Code, WorkerInfo,
};
use super::resolve::{self, Context, ResolvedPlugin, bundle_store_error};
use crate::bundle::{Availability, BundleStore, BundleSummary, ConfigBundle, StoreOutcome};
use crate::error::ErrorCode;
use crate::identity::PluginPin;
use crate::plugin::Plugin;
use crate::policy::HostPolicy;
use crate::runtime::{CallError, PluginHost};
use crate::store::PluginStore;

/// Where and under which policy an embedded runtime runs.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// State directory (bundles, workers, compile cache).
    pub state_dir: PathBuf,
    /// The plugin store (default: `<state_dir>/plugins`).
    pub plugin_store: Option<PathBuf>,
    /// The host-local policy: mounts, capabilities, builtin profiles.
    pub policy: HostPolicy,
}

/// The in-process runtime. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddedRuntime {
    inner: Arc<Inner>,
}

struct Inner {
    bundles: BundleStore,
    plugins: PluginStore,
    policy: HostPolicy,
    host: PluginHost,
    workers_dir: PathBuf,
    workers: RwLock<BTreeMap<String, Arc<Slot>>>,
    /// Loaded plugins by pin, shared by every worker that enables them.
    loaded: parking_lot::Mutex<BTreeMap<PluginPin, Plugin>>,
}

struct Worker {
    info: WorkerInfo,
    plugins: Vec<ResolvedPlugin>,
}

/// A known worker: its request, and the worker once resolved. The mutex
/// makes concurrent first uses resolve it once.
struct Slot {
    request: CreateWorkerRequest,
    resolved: parking_lot::Mutex<Option<Arc<Worker>>>,
}

impl Slot {
    fn resolved(request: CreateWorkerRequest, worker: Worker) -> Slot {
        Slot {
            request,
            resolved: parking_lot::Mutex::new(Some(Arc::new(worker))),
        }
    }
}

/// What is persisted per worker.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkerRecord {
    id: String,
    request: CreateWorkerRequest,
}

fn internal(what: &str, e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::new(Code::Internal, format!("{what}: {e}"))
}

fn io_internal(what: &str, e: std::io::Error) -> RuntimeError {
    RuntimeError::new(Code::Internal, format!("{what} ({})", e.kind()))
}

impl std::fmt::Debug for EmbeddedRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedRuntime").finish_non_exhaustive()
    }
}

impl EmbeddedRuntime {
    /// Opens (creating) the state directory, validates the policy and
    /// re-resolves persisted workers. A worker that no longer resolves (its
    /// bundle or plugin is gone) is dropped with a warning.
    pub fn open(config: RuntimeConfig) -> Result<EmbeddedRuntime, RuntimeError> {
        config
            .policy
            .validate()
            .map_err(|e| RuntimeError::new(Code::BadRequest, format!("host policy: {e}")))?;
        let state = &config.state_dir;
        let bundles = BundleStore::open(state.join("bundles")).map_err(bundle_store_error)?;
        let plugins = PluginStore::open(
            config
                .plugin_store
                .clone()
                .unwrap_or_else(|| state.join("plugins")),
        )
        .map_err(|e| internal("plugin store", e))?;
        let runtime_policy = &config.policy.runtime;
        let host = PluginHost::builder()
            .cache_dir(state.join("cache"))
            .ceiling(config.policy.ceiling())
            .max_concurrent_calls(runtime_policy.max_concurrent_calls())
            .max_queued_calls(runtime_policy.max_queued_calls())
            .build()
            .map_err(|e| internal("engine", e))?;
        let workers_dir = state.join("workers");
        std::fs::create_dir_all(&workers_dir).map_err(|e| io_internal("workers directory", e))?;
        let runtime = EmbeddedRuntime {
            inner: Arc::new(Inner {
                bundles,
                plugins,
                policy: config.policy,
                host,
                workers_dir,
                workers: RwLock::new(BTreeMap::new()),
                loaded: parking_lot::Mutex::new(BTreeMap::new()),
            }),
        };
        runtime.restore_workers()?;
        Ok(runtime)
    }

    fn context(&self) -> Context<'_> {
        Context {
            bundles: &self.inner.bundles,
            plugins: &self.inner.plugins,
            policy: &self.inner.policy,
            host: &self.inner.host,
            loaded: &self.inner.loaded,
        }
    }

    /// Registers every persisted worker without resolving it (see the
    /// module documentation). Records beyond the worker cap are ignored.
    fn restore_workers(&self) -> Result<(), RuntimeError> {
        let entries = std::fs::read_dir(&self.inner.workers_dir)
            .map_err(|e| io_internal("workers directory", e))?;
        let max = self.inner.policy.runtime.max_workers();
        let mut workers = self.inner.workers.write();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let record: Option<WorkerRecord> = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let Some(record) = record.filter(|r| valid_worker_id(&r.id)) else {
                tracing::warn!(target: "yoi_plugin_host::workers", "skipping an unreadable worker record");
                continue;
            };
            if workers.len() >= max {
                tracing::warn!(target: "yoi_plugin_host::workers", worker = %record.id, "skipping a worker beyond the policy's worker cap");
                continue;
            }
            let slot = Slot {
                request: record.request,
                resolved: parking_lot::Mutex::new(None),
            };
            workers.insert(record.id, Arc::new(slot));
        }
        crate::metrics::set_workers(workers.len());
        Ok(())
    }

    /// The worker `id`, resolving it on first use (blocking: bundle and
    /// plugin store reads, maybe a compile). A worker that no longer
    /// resolves is dropped, and the resolution error returned.
    fn worker_blocking(&self, id: &str) -> Result<Arc<Worker>, RuntimeError> {
        let slot = self
            .inner
            .workers
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| worker_not_found(id))?;
        let mut resolved = slot.resolved.lock();
        if let Some(worker) = resolved.as_ref() {
            return Ok(worker.clone());
        }
        match resolve::resolve(&self.context(), &slot.request) {
            Ok(resolution) => {
                let worker = Arc::new(build_worker(id.to_owned(), &slot.request, resolution));
                *resolved = Some(worker.clone());
                Ok(worker)
            }
            Err(e) => {
                tracing::warn!(target: "yoi_plugin_host::workers", worker = %id, code = e.code.as_str(), "dropping a worker that no longer resolves");
                drop(resolved);
                self.forget(id)?;
                Err(RuntimeError::new(
                    e.code,
                    format!("worker '{id}' no longer resolves: {}", e.message),
                ))
            }
        }
    }

    /// The worker `id`: without blocking when already resolved.
    async fn worker(&self, id: &str) -> Result<Arc<Worker>, RuntimeError> {
        let ready = self
            .inner
            .workers
            .read()
            .get(id)
            .and_then(|slot| slot.resolved.lock().clone());
        if let Some(worker) = ready {
            return Ok(worker);
        }
        let (this, id) = (self.clone(), id.to_owned());
        blocking(move || this.worker_blocking(&id)).await
    }

    /// Removes the worker's record, then the worker (blocking).
    fn forget(&self, id: &str) -> Result<(), RuntimeError> {
        match std::fs::remove_file(self.inner.workers_dir.join(format!("{id}.json"))) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_internal("removing the worker", e)),
        }
        let count = {
            let mut workers = self.inner.workers.write();
            workers.remove(id);
            workers.len()
        };
        crate::metrics::set_workers(count);
        Ok(())
    }

    fn create_blocking(&self, request: CreateWorkerRequest) -> Result<WorkerInfo, RuntimeError> {
        let max = self.inner.policy.runtime.max_workers();
        let full = || {
            RuntimeError::new(
                Code::WorkerLimit,
                format!("this runtime holds its maximum of {max} workers; delete one first"),
            )
        };
        if self.inner.workers.read().len() >= max {
            return Err(full());
        }
        let resolution = resolve::resolve(&self.context(), &request)?;
        let id = new_worker_id();
        let record = WorkerRecord {
            id: id.clone(),
            request: request.clone(),
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| internal("worker record", e))?;
        crate::durable::write_file(&self.inner.workers_dir.join(format!("{id}.json")), &bytes)
            .map_err(|e| io_internal("persisting the worker", e))?;
        let worker = build_worker(id.clone(), &request, resolution);
        let info = worker.info.clone();
        let count = {
            let mut workers = self.inner.workers.write();
            // Checked again under the lock: concurrent creations never
            // exceed the cap.
            if workers.len() >= max {
                drop(workers);
                let _ = std::fs::remove_file(self.inner.workers_dir.join(format!("{id}.json")));
                return Err(full());
            }
            workers.insert(id, Arc::new(Slot::resolved(request, worker)));
            workers.len()
        };
        crate::metrics::set_workers(count);
        Ok(info)
    }
}

fn build_worker(
    id: String,
    request: &CreateWorkerRequest,
    resolution: resolve::Resolution,
) -> Worker {
    Worker {
        info: WorkerInfo {
            id,
            intent: request.intent.clone(),
            profile: request.profile.clone(),
            bundle: request.bundle.clone(),
            mode: resolution.mode,
            capabilities: resolution.capabilities,
            plugins: resolution.plugins.iter().map(|p| p.info.clone()).collect(),
        },
        plugins: resolution.plugins,
    }
}

fn worker_not_found(id: &str) -> RuntimeError {
    RuntimeError::new(
        Code::WorkerNotFound,
        format!("no worker '{}'", crate::diag::bound(id, 64)),
    )
}

fn valid_worker_id(id: &str) -> bool {
    id.len() == 18 && id.starts_with("w-") && id[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn new_worker_id() -> String {
    format!("w-{}", crate::durable::unique_suffix())
}

/// Runs blocking work off the async executor.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RuntimeError> + Send + 'static,
) -> Result<T, RuntimeError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(internal("runtime task", e)))
}

#[async_trait::async_trait]
impl Runtime for EmbeddedRuntime {
    async fn store_bundle(&self, bundle: ConfigBundle) -> Result<StoreOutcome, RuntimeError> {
        let this = self.clone();
        blocking(move || {
            let outcome = this
                .inner
                .bundles
                .put(&bundle)
                .map_err(bundle_store_error)?;
            crate::metrics::set_bundles(this.inner.bundles.count().map_err(bundle_store_error)?);
            Ok(outcome)
        })
        .await
    }

    async fn ready(&self) -> Result<(), RuntimeError> {
        // O(1): the state directory is there; no bundle is read or hashed.
        let this = self.clone();
        blocking(move || this.inner.bundles.ready().map_err(bundle_store_error)).await
    }

    async fn list_bundles(&self) -> Result<Vec<BundleSummary>, RuntimeError> {
        let this = self.clone();
        blocking(move || this.inner.bundles.list().map_err(bundle_store_error)).await
    }

    async fn bundle_availability(
        &self,
        id: &str,
        digest: &str,
    ) -> Result<Availability, RuntimeError> {
        let (this, id, digest) = (self.clone(), id.to_owned(), digest.to_owned());
        blocking(move || {
            this.inner
                .bundles
                .check(&id, &digest)
                .map_err(bundle_store_error)
        })
        .await
    }

    async fn create_worker(
        &self,
        request: CreateWorkerRequest,
    ) -> Result<WorkerInfo, RuntimeError> {
        let this = self.clone();
        blocking(move || this.create_blocking(request)).await
    }

    /// Every worker, resolving those not yet used (workers that no longer
    /// resolve are dropped and left out).
    async fn list_workers(&self) -> Result<Vec<WorkerInfo>, RuntimeError> {
        let this = self.clone();
        blocking(move || {
            let ids: Vec<String> = this.inner.workers.read().keys().cloned().collect();
            let mut infos = Vec::with_capacity(ids.len());
            for id in ids {
                match this.worker_blocking(&id) {
                    Ok(worker) => infos.push(worker.info.clone()),
                    Err(e) if e.code == Code::Internal => return Err(e),
                    Err(_) => {}
                }
            }
            Ok(infos)
        })
        .await
    }

    async fn get_worker(&self, id: &str) -> Result<WorkerInfo, RuntimeError> {
        Ok(self.worker(id).await?.info.clone())
    }

    async fn delete_worker(&self, id: &str) -> Result<(), RuntimeError> {
        if !self.inner.workers.read().contains_key(id) {
            return Err(worker_not_found(id));
        }
        let (this, id) = (self.clone(), id.to_owned());
        blocking(move || this.forget(&id)).await
    }

    async fn invoke(
        &self,
        worker: &str,
        tool: &str,
        request: InvokeRequest,
    ) -> Result<InvokeOutcome, RuntimeError> {
        let worker = self.worker(worker).await?;
        let candidates: Vec<&ResolvedPlugin> = worker
            .plugins
            .iter()
            .filter(|p| {
                request
                    .plugin
                    .as_ref()
                    .is_none_or(|id| *id == p.info.plugin.id.to_string())
            })
            .filter(|p| p.plugin.has_tool(tool))
            .collect();
        let plugin = match candidates.as_slice() {
            [one] => *one,
            [] => {
                return Err(RuntimeError::new(
                    Code::ToolNotFound,
                    format!(
                        "worker '{}' has no tool '{}'",
                        worker.info.id,
                        crate::diag::bound(tool, 64)
                    ),
                ));
            }
            _ => {
                return Err(RuntimeError::new(
                    Code::ToolNotFound,
                    format!(
                        "tool '{}' is offered by several plugins; pass \"plugin\"",
                        crate::diag::bound(tool, 64)
                    ),
                ));
            }
        };
        let input = request.input.to_string();
        let started = Instant::now();
        let outcome = plugin
            .plugin
            .call(plugin.grants.clone(), tool, &input, plugin.limits.clone())
            .await;
        let code = outcome.result.as_ref().map_or_else(|e| e.code(), |_| "ok");
        crate::metrics::record_tool_call(code, started.elapsed().as_secs_f64());
        let (output, error) = match outcome.result {
            // Schema violations are the caller's: the same typed error as
            // before the redesign (`invalid-input`), as a runtime error.
            Err(CallError::InvalidInput(m)) => {
                return Err(RuntimeError::new(Code::InvalidInput, m));
            }
            // No slot: the service is saturated, not the tool (503).
            Err(CallError::Busy) => {
                return Err(RuntimeError::new(Code::Busy, CallError::Busy.to_string()));
            }
            Ok(value) => (Some(value), None),
            Err(e) => (
                None,
                Some(ErrorBody {
                    code: e.code().to_owned(),
                    message: e.to_string(),
                }),
            ),
        };
        Ok(InvokeOutcome {
            plugin: plugin.info.plugin.id.to_string(),
            tool: tool.to_owned(),
            output,
            error,
        })
    }
}
