//! Shared by the REST tests: an in-memory fake runtime that records the
//! ids it is asked about, a server on 127.0.0.1:0, and small helpers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use yoi_plugin_host::bundle::{
    Availability, BundleStore, BundleSummary, ConfigBundle, Provenance, StoreError, StoreOutcome,
};
use yoi_plugin_host::rest::{RemoteRuntime, ServerConfig, serve};
use yoi_plugin_host::workers::{
    CreateWorkerRequest, InvokeOutcome, InvokeRequest, ProfileSelector, Runtime, RuntimeError,
    RuntimeErrorCode, WorkerInfo, WorkerMode,
};

pub const TOKEN: &str = "rest-test-token";
pub const BOUND: Duration = Duration::from_secs(20);

/// An in-memory runtime that records the ids it is asked about.
#[derive(Default)]
pub struct Fake {
    pub bundles: Mutex<BTreeMap<String, ConfigBundle>>,
    pub workers: Mutex<BTreeMap<String, WorkerInfo>>,
    pub seen: Mutex<Vec<String>>,
    pub next: AtomicU64,
    /// When set, bundles go to this real store instead of memory.
    pub store: Option<BundleStore>,
    pub unready: AtomicBool,
}

pub fn err(code: RuntimeErrorCode, message: &str) -> RuntimeError {
    RuntimeError::new(code, message)
}

pub fn store_error(e: StoreError) -> RuntimeError {
    let code = match e {
        StoreError::Invalid(_) => RuntimeErrorCode::InvalidBundle,
        _ => RuntimeErrorCode::Internal,
    };
    RuntimeError::new(code, e)
}

#[async_trait::async_trait]
impl Runtime for Fake {
    async fn store_bundle(&self, bundle: ConfigBundle) -> Result<StoreOutcome, RuntimeError> {
        if let Some(store) = &self.store {
            return store.put(&bundle).map_err(store_error);
        }
        bundle
            .validate()
            .map_err(|e| RuntimeError::new(RuntimeErrorCode::InvalidBundle, e))?;
        let key = format!("{}@{}", bundle.id, bundle.digest);
        Ok(match self.bundles.lock().insert(key, bundle) {
            None => StoreOutcome::Stored,
            Some(_) => StoreOutcome::AlreadyPresent,
        })
    }

    async fn ready(&self) -> Result<(), RuntimeError> {
        if self.unready.load(Ordering::SeqCst) {
            return Err(err(RuntimeErrorCode::Internal, "bundle store unavailable"));
        }
        Ok(())
    }

    async fn list_bundles(&self) -> Result<Vec<BundleSummary>, RuntimeError> {
        if self.unready.load(Ordering::SeqCst) {
            return Err(err(RuntimeErrorCode::Internal, "bundle store unavailable"));
        }
        Ok(self
            .bundles
            .lock()
            .values()
            .map(ConfigBundle::summary)
            .collect())
    }

    async fn bundle_availability(
        &self,
        id: &str,
        digest: &str,
    ) -> Result<Availability, RuntimeError> {
        self.seen.lock().push(format!("bundle {id} {digest}"));
        let bundles = self.bundles.lock();
        let available: Vec<String> = bundles
            .values()
            .filter(|b| b.id == id)
            .map(|b| b.digest.clone())
            .collect();
        Ok(if available.iter().any(|d| d == digest) {
            Availability::Available
        } else if available.is_empty() {
            Availability::Missing
        } else {
            Availability::DigestMismatch { available }
        })
    }

    async fn create_worker(
        &self,
        request: CreateWorkerRequest,
    ) -> Result<WorkerInfo, RuntimeError> {
        let mode = match (&request.profile, &request.bundle) {
            (ProfileSelector::Named(_), None) => {
                return Err(err(
                    RuntimeErrorCode::InvalidProfile,
                    "a named profile needs a bundle",
                ));
            }
            (ProfileSelector::Named(_), Some(_)) => WorkerMode::SyncedBundle,
            _ => WorkerMode::Fallback,
        };
        let id = format!("w-{}", self.next.fetch_add(1, Ordering::SeqCst));
        let info = WorkerInfo {
            id: id.clone(),
            intent: request.intent,
            profile: request.profile,
            bundle: request.bundle,
            mode,
            capabilities: request.capabilities,
            plugins: Vec::new(),
        };
        self.workers.lock().insert(id, info.clone());
        Ok(info)
    }

    async fn list_workers(&self) -> Result<Vec<WorkerInfo>, RuntimeError> {
        Ok(self.workers.lock().values().cloned().collect())
    }

    async fn get_worker(&self, id: &str) -> Result<WorkerInfo, RuntimeError> {
        self.seen.lock().push(format!("worker {id}"));
        let missing = || err(RuntimeErrorCode::WorkerNotFound, "no worker with that id");
        self.workers.lock().get(id).cloned().ok_or_else(missing)
    }

    async fn delete_worker(&self, id: &str) -> Result<(), RuntimeError> {
        let missing = || err(RuntimeErrorCode::WorkerNotFound, "no worker with that id");
        self.workers
            .lock()
            .remove(id)
            .map(|_| ())
            .ok_or_else(missing)
    }

    async fn invoke(
        &self,
        worker: &str,
        tool: &str,
        request: InvokeRequest,
    ) -> Result<InvokeOutcome, RuntimeError> {
        self.seen.lock().push(format!("invoke {worker} {tool}"));
        if tool == "slow" {
            tokio::time::sleep(Duration::from_millis(400)).await;
        } else if !self.workers.lock().contains_key(worker) {
            return Err(err(
                RuntimeErrorCode::WorkerNotFound,
                "no worker with that id",
            ));
        }
        Ok(InvokeOutcome {
            plugin: request.plugin.unwrap_or_else(|| "user:echo".into()),
            tool: tool.to_owned(),
            output: Some(json!({ "echo": request.input })),
            error: None,
        })
    }
}

/// A server on 127.0.0.1:0 and the means to stop it.
pub struct Server {
    pub addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub async fn start(runtime: Arc<dyn Runtime>, config: ServerConfig) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, runtime, config, async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub async fn fake(fake: Arc<Fake>) -> Server {
        Server::start(fake, ServerConfig::new(TOKEN).unwrap()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn remote(&self) -> RemoteRuntime {
        RemoteRuntime::new(&self.url(""), TOKEN).unwrap()
    }

    pub async fn shutdown(mut self) -> std::io::Result<()> {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(BOUND, self.task)
            .await
            .expect("server stops in time")
            .unwrap()
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(BOUND)
        .build()
        .unwrap()
}

/// Status and JSON body of a response.
pub async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

pub fn bundle(id: &str, revision: u64) -> ConfigBundle {
    let provenance = Provenance {
        source: "rest-test".into(),
        author: None,
    };
    ConfigBundle::new(id, revision, "ws-1", "2026-06-25T16:44:57Z", provenance).seal()
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error body: {body}"))
}
