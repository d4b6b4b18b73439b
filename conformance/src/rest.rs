//! The served runtime as a target: the embedded worker runtime behind the
//! REST server on 127.0.0.1, driven through the REST client
//! (`RemoteRuntime`), exactly as a remote caller would.
//!
//! A grant reaches a served runtime through its host policy (the mount:
//! directory, ops, include/exclude, bounds) and a profile that enables the
//! conformance guest with a grant request. Cases are therefore grouped by
//! grant: one policy, runtime and server per distinct grant, reused for
//! every case with that grant (the runner sorts cases by grant). The state
//! directory, with its plugin store and compile cache, is shared by all of
//! them. A case's per-invocation fs budget goes into that policy's
//! `[limits] fs_budget`, so a server is per distinct (grant, budget).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, anyhow};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use yoi_plugin_host::ErrorCode;
use yoi_plugin_host::bundle::{GrantRequest, PluginEnablement, Profile};
use yoi_plugin_host::package::Package;
use yoi_plugin_host::policy::{HostPolicy, MountPolicy};
use yoi_plugin_host::rest::{RemoteRuntime, ServerConfig, serve};
use yoi_plugin_host::store::{PluginStore, Source};
use yoi_plugin_host::workers::{
    CreateWorkerRequest, EmbeddedRuntime, InvokeRequest, ProfileSelector, Runtime, RuntimeConfig,
};

use crate::case::{Budget, GrantCase};
use crate::target::{GrantRefused, OPS_TOOL, Target, bounds, call_limits, operations, results};

const TOKEN: &str = "conformance-token";
const PROFILE: &str = "conformance";

/// The REST target.
pub struct Rest {
    tokio: tokio::runtime::Runtime,
    state: PathBuf,
    package: Package,
    served: Option<Served>,
}

/// One running server for one grant.
struct Served {
    grant: GrantCase,
    budget: Option<Budget>,
    mount_dir: PathBuf,
    client: RemoteRuntime,
    worker: String,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Rest {
    /// Installs the conformance guest's package (`package_dir` with its
    /// `plugin.toml`, the component at `component`) into a store under
    /// `state`.
    pub fn new(package_dir: &Path, component: &Path, state: &Path) -> Result<Rest> {
        let package = Package::from_dir(package_dir, Some(component))
            .map_err(|e| anyhow!("conformance guest package: {e}"))?;
        PluginStore::open(state.join("plugins"))?.install(&package, Source::User)?;
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        Ok(Rest {
            tokio,
            state: state.to_owned(),
            package,
            served: None,
        })
    }

    fn policy(
        &self,
        mount_dir: &Path,
        grant: &GrantCase,
        budget: Option<&Budget>,
    ) -> Result<HostPolicy> {
        let ops = operations(&grant.ops)?;
        let mount = MountPolicy {
            dir: mount_dir.to_owned(),
            ops: ops.clone(),
            include: grant.include.clone(),
            exclude: grant.exclude.clone(),
            bounds: bounds(grant),
        };
        // Built from its serde form, so fields the bundle format may add
        // (with defaults) need no change here.
        let enablement: PluginEnablement = serde_json::from_value(json!({
            "id": "user:hostile",
            "version": self.package.manifest.version.to_string(),
            "digest": self.package.digest.to_string(),
            "grants": [GrantRequest::new(&grant.mount, &ops)],
        }))?;
        Ok(HostPolicy {
            mounts: BTreeMap::from([(grant.mount.clone(), mount)]),
            profiles: BTreeMap::from([(
                PROFILE.to_owned(),
                Profile {
                    description: None,
                    plugins: vec![enablement],
                    capabilities: Vec::new(),
                },
            )]),
            limits: budget.map(|b| call_limits(Some(b))),
            ..HostPolicy::default()
        })
    }

    /// Starts a runtime and server for `grant`, stopping the previous one.
    fn serve(
        &mut self,
        mount_dir: &Path,
        grant: &GrantCase,
        budget: Option<&Budget>,
    ) -> Result<()> {
        self.stop();
        let _ = std::fs::remove_dir_all(self.state.join("workers"));
        let policy = self.policy(mount_dir, grant, budget)?;
        policy
            .validate()
            .map_err(|e| GrantRefused(e.code().to_owned()))?;
        let runtime = EmbeddedRuntime::open(RuntimeConfig {
            state_dir: self.state.clone(),
            plugin_store: None,
            policy,
        })
        .map_err(|e| anyhow!("runtime: {e}"))?;
        let served = self.tokio.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let (stop, stopped) = oneshot::channel::<()>();
            let config = ServerConfig {
                token: TOKEN.into(),
                ..ServerConfig::default()
            };
            let server = tokio::spawn(serve(listener, Arc::new(runtime), config, async move {
                let _ = stopped.await;
            }));
            let client = RemoteRuntime::new(&format!("http://{addr}"), TOKEN)
                .map_err(|e| anyhow!("client: {e}"))?;
            let worker = client
                .create_worker(CreateWorkerRequest {
                    intent: "conformance".into(),
                    profile: ProfileSelector::Builtin(PROFILE.into()),
                    bundle: None,
                    capabilities: Vec::new(),
                })
                .await
                .map_err(|e| anyhow!("create worker: {e}"))?;
            anyhow::Ok(Served {
                grant: grant.clone(),
                budget: budget.cloned(),
                mount_dir: mount_dir.to_owned(),
                client,
                worker: worker.id,
                stop,
                server,
            })
        })?;
        self.served = Some(served);
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(served) = self.served.take() {
            let _ = served.stop.send(());
            let _ = self.tokio.block_on(served.server);
        }
    }
}

impl Drop for Rest {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Target for Rest {
    fn name(&self) -> &str {
        "rest"
    }

    fn run(
        &mut self,
        mount_dir: &Path,
        grant: &GrantCase,
        budget: Option<&Budget>,
        calls: &[Value],
    ) -> Result<Vec<Value>> {
        let current = self.served.as_ref().is_some_and(|s| {
            &s.grant == grant && s.mount_dir == mount_dir && s.budget.as_ref() == budget
        });
        if !current {
            self.serve(mount_dir, grant, budget)?;
        }
        let served = self.served.as_ref().expect("served");
        let request = InvokeRequest {
            plugin: None,
            input: json!({ "ops": calls }),
        };
        let outcome = self
            .tokio
            .block_on(served.client.invoke(&served.worker, OPS_TOOL, request))
            .map_err(|e| anyhow!("invoke: {e}"))?;
        if let Some(err) = outcome.error {
            return Err(anyhow!("call failed: [{}] {}", err.code, err.message));
        }
        let output = outcome.output.ok_or_else(|| anyhow!("no output"))?;
        results(&output, calls.len())
    }
}
