//! `mcp`: serve plugins to AI agents as MCP tools, over stdio (default) or
//! streamable HTTP (`--listen`, loopback only, bearer token as `serve`).
//!
//! Served, one of:
//! - **installed plugins**: every installed plugin (or the `--plugin`
//!   ones) plus each `--component NAME=PATH` (a bare `.wasm`, the
//!   development path); every one gets exactly the grants of
//!   `--grant`/`--grants-file` (the operator's decision; nothing is
//!   inherited);
//! - **a profile of the host policy** (`--policy FILE --profile NAME`):
//!   the profile's pinned plugins, each with its effective grant — its
//!   request ∩ the policy, as for a worker.
//!
//! With `--policy`, the policy's `[limits]` and `[runtime]` call-pool
//! settings apply.
//!
//! The store is polled every `--watch-ms`: an install or a removal
//! rebuilds the catalog and tells every client (`list_changed`).
//! In stdio mode stdout is the protocol channel: nothing else is printed
//! there (diagnostics go to stderr).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rmcp::ServiceExt;
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::args::GrantArgs;
use crate::cli::serve::{load_token, shutdown_signal};
use crate::cli::{Exit, Failure, Out};
use crate::error::ErrorCode;
use crate::grant::{GrantSet, GrantSpec};
use crate::mcp::{Catalog, McpServer, McpState, ServedPlugin};
use crate::names::{PluginId, PluginName};
use crate::net::NetGrants;
use crate::policy::HostPolicy;
use crate::{Plugin, PluginHost, PluginPin, PluginStore};

/// Flags of `mcp`.
#[derive(clap::Args)]
pub struct McpArgs {
    #[command(flatten)]
    grants: GrantArgs,
    /// Serve only these installed plugins (repeatable; default: every installed plugin).
    #[arg(long = "plugin", value_name = "ID")]
    plugins: Vec<String>,
    /// Also serve a bare component (development path): NAME=PATH.wasm (repeatable).
    #[arg(long = "component", value_name = "NAME=PATH")]
    components: Vec<String>,
    /// Serve MCP streamable HTTP at http://ADDR/mcp instead of stdio (loopback only; port 0 picks one).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// File holding the bearer token for --listen (default: $YOI_RUNTIME_TOKEN).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Host policy file: its [limits] and [runtime] call-pool settings apply.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    #[command(flatten)]
    counts: crate::cli::args::CountArgs,
    /// Serve this builtin profile of the --policy file (its plugins, each with request ∩ policy).
    #[arg(long, value_name = "NAME", requires = "policy", conflicts_with_all = ["plugins", "components", "grants", "grants_file", "net", "secrets"])]
    profile: Option<String>,
    /// Compile cache directory (default: <store>/.cache).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// How often the store is checked for installs and removals, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    watch_ms: u64,
}

/// Which installed plugins are served, with which grants.
enum Serving {
    /// Installed plugins (all, or `only`), each with `specs`.
    Installed {
        only: Vec<PluginId>,
        specs: Vec<GrantSpec>,
        network: NetGrants,
    },
    /// A policy profile: exact pins, each with its effective grant (fs
    /// specs, and network grants with their secrets resolved).
    Profile(BTreeMap<PluginPin, (Vec<GrantSpec>, NetGrants)>),
}

/// What the catalog is built from; rebuilt on every store change.
struct Source {
    host: PluginHost,
    store: PluginStore,
    serving: Serving,
    components: Vec<ServedPlugin>,
    /// Loaded plugins by pin, so a rebuild reloads only what changed.
    loaded: parking_lot::Mutex<BTreeMap<PluginPin, ServedPlugin>>,
}

impl Source {
    /// The installed pins that are served.
    fn pins(&self) -> Vec<PluginPin> {
        let mut pins = match self.store.list() {
            Ok(pins) => pins,
            Err(e) => {
                tracing::warn!(target: "yoi::mcp", code = e.code(), "cannot list the store");
                return Vec::new();
            }
        };
        match &self.serving {
            Serving::Installed { only, .. } if !only.is_empty() => {
                pins.retain(|p| only.contains(&p.id));
            }
            Serving::Installed { .. } => {}
            Serving::Profile(entries) => pins.retain(|p| entries.contains_key(p)),
        }
        pins
    }

    /// The catalog for `pins`: plugins that fail to load are left out
    /// (with a warning naming only the code).
    fn catalog(&self, pins: &[PluginPin]) -> Result<Catalog, Failure> {
        let mut loaded = self.loaded.lock();
        loaded.retain(|pin, _| pins.contains(pin));
        for pin in pins {
            if loaded.contains_key(pin) {
                continue;
            }
            match self.serve_installed(pin) {
                Ok(served) => {
                    loaded.insert(pin.clone(), served);
                }
                Err(f) => {
                    tracing::warn!(target: "yoi::mcp", plugin = %pin.id, code = %f.code, "plugin not served");
                }
            }
        }
        let served = loaded
            .values()
            .cloned()
            .chain(self.components.iter().cloned());
        Catalog::new(served.collect()).map_err(|e| Failure::new(Exit::Invalid, e.code(), e))
    }

    fn serve_installed(&self, pin: &PluginPin) -> Result<ServedPlugin, Failure> {
        let plugin = self
            .store
            .load(&self.host, pin)
            .map_err(crate::cli::package_cmds::store_failure)?;
        let none = (Vec::new(), NetGrants::default());
        let (specs, network) = match &self.serving {
            Serving::Installed { specs, network, .. } => (&specs[..], network),
            Serving::Profile(entries) => {
                let (specs, network) = entries.get(pin).unwrap_or(&none);
                (&specs[..], network)
            }
        };
        served(plugin, specs, network)
    }
}

fn served(
    plugin: Plugin,
    specs: &[GrantSpec],
    network: &NetGrants,
) -> Result<ServedPlugin, Failure> {
    let grants = GrantSet::open(plugin.identity().clone(), specs)
        .map_err(|e| Failure::new(Exit::Grant, e.code(), e))?
        .with_network(network.clone());
    Ok(ServedPlugin {
        plugin,
        grants: Arc::new(grants),
    })
}

/// Parses `NAME=PATH` and loads the component.
fn component(
    host: &PluginHost,
    text: &str,
    specs: &[GrantSpec],
    network: &NetGrants,
) -> Result<ServedPlugin, Failure> {
    let usage = |m: &str| Failure::new(Exit::Usage, "invalid-component", m);
    let (name, path) = text
        .split_once('=')
        .ok_or_else(|| usage("expected --component NAME=PATH.wasm"))?;
    let name = PluginName::parse(name).map_err(|e| usage(&e.to_string()))?;
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::new(
            Exit::NotFound,
            "not-found",
            format!("cannot read the component of '{name}' ({})", e.kind()),
        )
    })?;
    // A wasm32-wasip1 core module is served as its adapted component.
    let bytes = crate::package::adapt::to_component(bytes)
        .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
    let plugin = Plugin::from_component(host, name, &bytes)
        .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
    served(plugin, specs, network)
}

fn io_failure(what: &str, e: std::io::Error) -> Failure {
    Failure::new(Exit::Io, "io", format!("{what} ({})", e.kind()))
}

/// `yoi-plugin mcp`.
pub fn mcp(_out: Out, store_dir: &Path, args: McpArgs) -> Result<(), Failure> {
    if let Some(addr) = args.listen
        && !addr.ip().is_loopback()
    {
        return Err(Failure::new(
            Exit::Usage,
            "non-loopback-listen",
            "this build serves plain http only; listen on a loopback address (127.0.0.1 or ::1)",
        ));
    }
    let token = match args.listen {
        Some(_) => Some(load_token(args.token_file.as_deref())?),
        None => None,
    };
    if token.as_deref().is_some_and(str::is_empty) {
        return Err(Failure::new(
            Exit::Usage,
            "invalid-token",
            "the bearer token is empty",
        ));
    }
    let policy = match &args.policy {
        Some(file) => HostPolicy::load(file)
            .map_err(|e| Failure::new(Exit::Invalid, e.code(), format!("host policy: {e}")))?,
        None => HostPolicy::default(),
    };
    let policy = args.counts.apply_to_policy(policy)?;
    let specs = args.grants.specs()?;
    let network = args.grants.network()?;
    let serving = match &args.profile {
        Some(name) => Serving::Profile(profile_grants(&policy, name)?),
        None => Serving::Installed {
            only: args
                .plugins
                .iter()
                .map(|id| {
                    PluginId::parse(id).map_err(|e| Failure::new(Exit::Usage, "invalid-id", e))
                })
                .collect::<Result<Vec<_>, _>>()?,
            specs: specs.clone(),
            network: network.clone(),
        },
    };
    let cache = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| store_dir.join(".cache"));
    let host = PluginHost::builder()
        .cache_dir(cache)
        .ceiling(policy.ceiling())
        .max_concurrent_calls(policy.runtime.max_concurrent_calls())
        .max_queued_calls(policy.runtime.max_queued_calls())
        .build()
        .map_err(|e| Failure::new(Exit::Io, "engine", e))?;
    let store = PluginStore::open(store_dir).map_err(|e| Failure::new(Exit::Io, e.code(), e))?;
    let components = args
        .components
        .iter()
        .map(|c| component(&host, c, &specs, &network))
        .collect::<Result<Vec<_>, _>>()?;
    let source = Arc::new(Source {
        host,
        store,
        serving,
        components,
        loaded: parking_lot::Mutex::new(BTreeMap::new()),
    });
    let pins = source.pins();
    let catalog = source.catalog(&pins)?;
    let limits = policy.call_limits();
    let max_input = limits.max_input_bytes;
    let state = McpState::new(catalog, limits);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| io_failure("cannot start the async runtime", e))?;
    let (interrupt, terminate) = {
        let _context = tokio.enter();
        (
            signal(SignalKind::interrupt()).map_err(|e| io_failure("signal handlers", e))?,
            signal(SignalKind::terminate()).map_err(|e| io_failure("signal handlers", e))?,
        )
    };
    let watch = Duration::from_millis(args.watch_ms.max(50));
    tokio.block_on(async move {
        tokio::spawn(watch_store(source, state.clone(), pins, watch));
        match (args.listen, token) {
            (Some(addr), Some(token)) => {
                let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                    Failure::new(
                        Exit::Io,
                        "listen-failed",
                        format!("cannot listen on {addr} ({})", e.kind()),
                    )
                })?;
                let addr = listener
                    .local_addr()
                    .map_err(|e| io_failure("no local address", e))?;
                let url = format!("http://{addr}{}", crate::mcp::http::MCP_PATH);
                println!("{}", json!({ "listening": addr.to_string(), "url": url }));
                let _ = std::io::stdout().flush();
                crate::mcp::http::serve(
                    listener,
                    state,
                    &token,
                    max_input,
                    crate::rest::ConnectionLimits::default(),
                    shutdown_signal(interrupt, terminate),
                )
                .await
                .map_err(|e| io_failure("the server failed", e))
            }
            _ => {
                let running = McpServer::new(state)
                    .serve(rmcp::transport::stdio())
                    .await
                    .map_err(|e| {
                        Failure::new(
                            Exit::Io,
                            "mcp-init",
                            crate::diag::bound(&e.to_string(), 200),
                        )
                    })?;
                tokio::select! {
                    _ = running.waiting() => {}
                    () = shutdown_signal(interrupt, terminate) => {}
                }
                Ok(())
            }
        }
    })
}

/// The pins of profile `name` of `policy`, each with its effective grant.
fn profile_grants(
    policy: &HostPolicy,
    name: &str,
) -> Result<BTreeMap<PluginPin, (Vec<GrantSpec>, NetGrants)>, Failure> {
    let profile = policy.profiles.get(name).ok_or_else(|| {
        Failure::new(
            Exit::Usage,
            "invalid-profile",
            format!(
                "the host policy has no profile '{}'",
                crate::diag::bound(name, 64)
            ),
        )
    })?;
    let mut entries = BTreeMap::new();
    for enablement in &profile.plugins {
        let pin = enablement
            .pin()
            .map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
        let specs = policy
            .effective_grants(&enablement.grants)
            .map_err(|e| Failure::new(Exit::Grant, e.code(), e))?;
        let network = policy
            .network_grants(&enablement.network)
            .map_err(|e| Failure::new(Exit::Grant, e.code(), e))?;
        entries.insert(pin, (specs, network));
    }
    Ok(entries)
}

/// Polls the store; on a change rebuilds the catalog and tells clients.
async fn watch_store(
    source: Arc<Source>,
    state: Arc<McpState>,
    mut pins: Vec<PluginPin>,
    every: Duration,
) {
    loop {
        tokio::time::sleep(every).await;
        let lister = source.clone();
        let Ok(now) = tokio::task::spawn_blocking(move || lister.pins()).await else {
            continue;
        };
        if now == pins {
            continue;
        }
        let builder = source.clone();
        let wanted = now.clone();
        match tokio::task::spawn_blocking(move || builder.catalog(&wanted)).await {
            Ok(Ok(catalog)) => {
                state.replace_catalog(catalog).await;
                pins = now;
            }
            Ok(Err(f)) => {
                tracing::warn!(target: "yoi::mcp", code = %f.code, "catalog not updated");
                pins = now;
            }
            Err(_) => {}
        }
    }
}
