//! The plugin runtime: one shared engine, compiled-once components, a fresh
//! store and instance per call, limits on everything.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! use yoi_plugin_host::runtime::{CallLimits, PluginHost};
//! use yoi_plugin_host::{GrantSet, GrantSpec, Operation, PluginIdentity};
//!
//! let host = PluginHost::builder().cache_dir("/var/cache/yoi").build()?;
//! let bytes = std::fs::read("notes.wasm")?;
//! let identity = PluginIdentity::new("user:notes", "0.1.0", yoi_plugin_host::identity::sha256_hex(&bytes));
//! let plugin = host.load(identity.clone(), "yoi-plugin-wasm-1", &bytes)?;
//! let grants = GrantSet::open(identity, &[GrantSpec::new("notes", "/srv/notes", &[Operation::Read, Operation::List])])?;
//! let outcome = plugin.call(Arc::new(grants), "read", r#"{"path":"notes/journal.md"}"#, CallLimits::default()).await;
//! println!("{:?}", outcome.result);
//! # Ok(()) }
//! ```

pub mod cache;
pub mod error;
pub mod inspect;
pub mod limits;
pub(crate) mod state;
mod wasi;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, Trap};

pub use self::cache::CacheOutcome;
use self::cache::CompileCache;
pub use self::error::{BuildError, CallError, LoadError};
pub use self::inspect::ComponentInfo;
pub use self::limits::CallLimits;
use self::limits::{LimitHit, Limiter};
pub use self::state::{LogLevel, LogRecord};
use self::state::{LogSink, PluginState};
use crate::abi::{AbiVersion, v1};
use crate::fs::FsContext;
use crate::fs::locks::LockRegistry;
use crate::grant::GrantSet;
use crate::identity::{PluginIdentity, sha256_hex};

/// How often the epoch advances; timeouts have this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Longest tool name accepted.
pub const MAX_TOOL_NAME_BYTES: usize = 128;

/// Configures a [`PluginHost`].
#[derive(Debug, Default)]
pub struct PluginHostBuilder {
    cache_dir: Option<PathBuf>,
    fuel: bool,
    locks: Option<Arc<LockRegistry>>,
}

impl PluginHostBuilder {
    /// Caches compiled components in `dir` (host-private; see
    /// [`cache`]).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Enables fuel metering so [`CallLimits::fuel`] can be enforced (costs
    /// some speed on every call).
    pub fn fuel(mut self, enabled: bool) -> Self {
        self.fuel = enabled;
        self
    }

    /// Shares a write-lock registry with the host's own file tools.
    pub fn locks(mut self, locks: Arc<LockRegistry>) -> Self {
        self.locks = Some(locks);
        self
    }

    /// Builds the host: one engine, one linker, one epoch ticker.
    pub fn build(self) -> Result<PluginHost, BuildError> {
        let err = |e: wasmtime::Error| BuildError(format!("{e:#}"));
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.consume_fuel(self.fuel);
        let engine = Engine::new(&config).map_err(err)?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker).map_err(err)?;
        v1::add_to_linker(&mut linker).map_err(err)?;
        let stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), stop.clone());
        Ok(PluginHost {
            inner: Arc::new(HostInner {
                engine,
                linker,
                cache: self.cache_dir.map(CompileCache::new),
                fuel: self.fuel,
                locks: self.locks.unwrap_or_default(),
                stop,
            }),
        })
    }
}

fn spawn_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("yoi-epoch-ticker".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawn epoch ticker thread");
}

/// The runtime host: one shared wasmtime engine and linker. Cheap to clone.
#[derive(Clone)]
pub struct PluginHost {
    inner: Arc<HostInner>,
}

struct HostInner {
    engine: Engine,
    linker: Linker<PluginState>,
    cache: Option<CompileCache>,
    fuel: bool,
    locks: Arc<LockRegistry>,
    stop: Arc<AtomicBool>,
}

impl Drop for HostInner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").finish_non_exhaustive()
    }
}

impl PluginHost {
    /// A builder with defaults: no cache, no fuel, a private lock registry.
    pub fn builder() -> PluginHostBuilder {
        PluginHostBuilder::default()
    }

    /// The write-lock registry plugin writes use; host file tools lock the
    /// same registry to never race plugin writes.
    pub fn locks(&self) -> Arc<LockRegistry> {
        self.inner.locks.clone()
    }

    /// Loads a component: checks the declared ABI, inspects imports and
    /// exports statically, compiles (or loads from the cache) and pre-links.
    /// Nothing of the plugin runs.
    pub fn load(
        &self,
        identity: PluginIdentity,
        abi: &str,
        bytes: &[u8],
    ) -> Result<LoadedPlugin, LoadError> {
        let abi = AbiVersion::parse(abi)?;
        let info = inspect::inspect(bytes)?;
        inspect::check_abi(&info, abi)?;
        let engine = &self.inner.engine;
        let compile = || Component::new(engine, bytes);
        let (component, cache) = match &self.inner.cache {
            Some(cache) => cache.load_or_compile(engine, &sha256_hex(bytes), compile),
            None => compile().map(|c| (c, CacheOutcome::Disabled)),
        }
        .map_err(|e| LoadError::Compile(crate::diag::bound(&format!("{e:#}"), 300)))?;
        let instance_pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(crate::diag::bound(&format!("{e:#}"), 300)))?;
        let pre = match abi {
            AbiVersion::V1 => v1::PluginPre::new(instance_pre)
                .map_err(|e| LoadError::Link(crate::diag::bound(&format!("{e:#}"), 300)))?,
        };
        tracing::info!(target: "yoi_plugin_host::runtime", plugin = %identity, abi = %abi, cache = ?cache, "plugin loaded");
        Ok(LoadedPlugin {
            inner: Arc::new(PluginInner {
                host: self.clone(),
                identity,
                abi,
                info,
                cache,
                pre,
            }),
        })
    }
}

/// A loaded, pre-linked plugin. Each call gets a fresh store and instance.
/// Cheap to clone; calls may run concurrently.
#[derive(Clone)]
pub struct LoadedPlugin {
    inner: Arc<PluginInner>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("identity", &self.inner.identity)
            .field("abi", &self.inner.abi)
            .field("cache", &self.inner.cache)
            .finish_non_exhaustive()
    }
}

struct PluginInner {
    host: PluginHost,
    identity: PluginIdentity,
    abi: AbiVersion,
    info: ComponentInfo,
    cache: CacheOutcome,
    pre: v1::PluginPre<PluginState>,
}

/// Everything a call produced: the result plus diagnostics for the host
/// operator (never part of the tool result).
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// The tool's JSON output, or why there is none.
    pub result: Result<String, CallError>,
    /// Guest log records (bounded).
    pub logs: Vec<LogRecord>,
    /// Log records dropped past the bound.
    pub logs_dropped: usize,
    /// Captured stdout (bounded, lossy UTF-8).
    pub stdout: String,
    /// Captured stderr (bounded, lossy UTF-8).
    pub stderr: String,
    /// Wall-clock time of the call.
    pub elapsed: Duration,
}

impl LoadedPlugin {
    /// The plugin's identity.
    pub fn identity(&self) -> &PluginIdentity {
        &self.inner.identity
    }

    /// The ABI the plugin was loaded with.
    pub fn abi(&self) -> AbiVersion {
        self.inner.abi
    }

    /// Its imports and exports.
    pub fn info(&self) -> &ComponentInfo {
        &self.inner.info
    }

    /// Whether the load was served by the compile cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.inner.cache
    }

    /// Calls `tool` on a blocking thread (tokio `spawn_blocking`), so many
    /// calls run concurrently without stalling the async runtime.
    pub async fn call(
        &self,
        grants: Arc<GrantSet>,
        tool: &str,
        input: &str,
        limits: CallLimits,
    ) -> CallOutcome {
        let this = self.clone();
        let (tool, input) = (tool.to_owned(), input.to_owned());
        let started = Instant::now();
        match tokio::task::spawn_blocking(move || {
            this.call_blocking(grants, &tool, &input, &limits)
        })
        .await
        {
            Ok(outcome) => outcome,
            Err(join) => CallOutcome {
                result: Err(CallError::Internal(format!("call thread failed: {join}"))),
                logs: Vec::new(),
                logs_dropped: 0,
                stdout: String::new(),
                stderr: String::new(),
                elapsed: started.elapsed(),
            },
        }
    }

    /// Calls `tool` with `input` (JSON) on the current thread, with exactly
    /// the authority in `grants` (which must be issued for this plugin).
    pub fn call_blocking(
        &self,
        grants: Arc<GrantSet>,
        tool: &str,
        input: &str,
        limits: &CallLimits,
    ) -> CallOutcome {
        let started = Instant::now();
        let inner = &self.inner;
        let host = &inner.host.inner;
        let (wasi, stdio) = wasi::context(limits.max_stdio_bytes);
        let state = PluginState {
            plugin: inner.identity.clone(),
            wasi,
            table: ResourceTable::new(),
            fs: FsContext::new(grants.clone(), host.locks.clone(), limits.fs_budget.clone()),
            log: LogSink::new(limits.max_log_records, limits.max_log_message_bytes),
            limiter: Limiter::new(limits),
        };
        let mut store = Store::new(&host.engine, state);
        let result = self.run(&mut store, &grants, tool, input, limits);
        if let Err(err) = &result {
            tracing::info!(target: "yoi_plugin_host::runtime", plugin = %inner.identity, tool = %crate::diag::bound(tool, 64), code = err.code(), "tool call failed");
        }
        let state = store.into_data();
        CallOutcome {
            result,
            logs: state.log.records,
            logs_dropped: state.log.dropped,
            stdout: String::from_utf8_lossy(&stdio.stdout.contents()).into_owned(),
            stderr: String::from_utf8_lossy(&stdio.stderr.contents()).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    fn run(
        &self,
        store: &mut Store<PluginState>,
        grants: &GrantSet,
        tool: &str,
        input: &str,
        limits: &CallLimits,
    ) -> Result<String, CallError> {
        let inner = &self.inner;
        if grants.plugin() != &inner.identity {
            return Err(CallError::GrantMismatch);
        }
        if tool.is_empty() || tool.len() > MAX_TOOL_NAME_BYTES {
            return Err(CallError::UnknownTool(crate::diag::bound(tool, 64)));
        }
        if input.len() > limits.max_input_bytes {
            return Err(CallError::InputTooLarge {
                len: input.len(),
                max: limits.max_input_bytes,
            });
        }
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(input) {
            return Err(CallError::InvalidInput(format!("input is not JSON: {e}")));
        }
        store.limiter(|s| &mut s.limiter);
        let ticks = limits
            .timeout
            .as_nanos()
            .div_ceil(EPOCH_TICK.as_nanos())
            .max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        if inner.host.inner.fuel {
            store
                .set_fuel(limits.fuel.unwrap_or(u64::MAX))
                .map_err(|e| CallError::Internal(e.to_string()))?;
        }
        let output = match v1::call(&inner.pre, store, tool, input) {
            Ok(result) => result?,
            Err(err) => return Err(classify_trap(store, &err, limits)),
        };
        if output.len() > limits.max_output_bytes {
            return Err(CallError::OutputTooLarge {
                len: output.len(),
                max: limits.max_output_bytes,
            });
        }
        if serde_json::from_str::<serde::de::IgnoredAny>(&output).is_err() {
            return Err(CallError::OutputNotJson);
        }
        Ok(output)
    }
}

/// Turns a wasmtime error into a typed call error. Trap messages are
/// reduced to the trap code (no guest backtrace text).
fn classify_trap(
    store: &Store<PluginState>,
    err: &wasmtime::Error,
    limits: &CallLimits,
) -> CallError {
    match store.data().limiter.hit {
        Some(LimitHit::Memory) => return CallError::MemoryLimit(limits.memory_bytes),
        Some(LimitHit::Table) => return CallError::TableLimit,
        None => {}
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::Timeout(limits.timeout),
        Some(Trap::OutOfFuel) => CallError::FuelExhausted,
        Some(trap) => CallError::Trap(trap.to_string()),
        None => CallError::Trap(crate::diag::bound(&err.to_string(), 200)),
    }
}
