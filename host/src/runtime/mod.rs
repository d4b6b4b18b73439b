//! The wasm runtime: one shared engine and linker, compiled-once
//! components, a fresh store and instance per call, limits on everything.
//!
//! This module knows components, not plugins: [`crate::plugin::Plugin`]
//! (manifest, tool table, validators) is built on the
//! [`LoadedComponent`] it returns, and is the only caller of its call.
//!
//! - `component`: compile (through the cache) and pre-link one component;
//!   run one call on a fresh store;
//! - `state`: the per-call store data (the views the host APIs see);
//! - `wasi`: the authority-free WASI subset in the linker;
//! - `limiter`: the store limiter; `cache`: the on-disk compile cache.

pub mod cache;
mod component;
pub mod error;
mod limiter;
mod state;
mod wasi;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

pub use self::cache::CacheOutcome;
use self::cache::CompileCache;
pub(crate) use self::component::LoadedComponent;
pub use self::component::{CallOutcome, MAX_TOOL_NAME_BYTES};
pub use self::error::{BuildError, CallError, LoadError};
use self::state::CallState;
use crate::fs::locks::LockRegistry;

/// How often the epoch advances; timeouts have this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Configures a [`PluginHost`].
#[derive(Debug, Default)]
pub struct PluginHostBuilder {
    cache_dir: Option<PathBuf>,
    fuel: bool,
    locks: Option<Arc<LockRegistry>>,
}

impl PluginHostBuilder {
    /// Caches compiled components in `dir` (host-private; see [`cache`]).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Enables fuel metering so [`crate::CallLimits::fuel`] can be enforced
    /// (costs some speed on every call).
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
        crate::abi::add_to_linker(&mut linker).map_err(err)?;
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
/// Load plugins into it with [`crate::Plugin::from_package`] or
/// [`crate::Plugin::from_component`].
#[derive(Clone)]
pub struct PluginHost {
    inner: Arc<HostInner>,
}

struct HostInner {
    engine: Engine,
    linker: Linker<CallState>,
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
}
