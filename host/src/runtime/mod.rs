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
//! - `limiter`: the store limiter; `cache`: the on-disk compile cache;
//! - `pool`: admission to the call pool (a concurrency cap and a bounded
//!   queue, `busy` past it) and the pooled instance allocation sized to it.

pub mod cache;
mod component;
pub mod error;
mod limiter;
pub mod pool;
mod state;
mod wasi;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

use self::cache::CompileCache;
pub use self::cache::{CacheOutcome, DEFAULT_CACHE_MAX_BYTES};
pub(crate) use self::component::LoadedComponent;
pub use self::component::{CallOutcome, MAX_TOOL_NAME_BYTES};
pub use self::error::{BuildError, CallError, LoadError};
use self::pool::CallSlots;
use self::state::CallState;
use crate::fs::locks::LockRegistry;
use crate::limits::{CallLimits, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MAX_QUEUED_CALLS};

/// How often the epoch advances; timeouts have this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Configures a [`PluginHost`].
#[derive(Debug)]
pub struct PluginHostBuilder {
    cache_dir: Option<PathBuf>,
    cache_max_bytes: u64,
    fuel: bool,
    locks: Option<Arc<LockRegistry>>,
    ceiling: CallLimits,
    max_concurrent_calls: usize,
    max_queued_calls: usize,
    pooling: bool,
}

impl Default for PluginHostBuilder {
    fn default() -> Self {
        PluginHostBuilder {
            cache_dir: None,
            cache_max_bytes: DEFAULT_CACHE_MAX_BYTES,
            fuel: false,
            locks: None,
            ceiling: CallLimits::ceiling(),
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            max_queued_calls: DEFAULT_MAX_QUEUED_CALLS,
            pooling: true,
        }
    }
}

impl PluginHostBuilder {
    /// Caches compiled components in `dir` (host-private; see [`cache`]).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Bounds the compile cache's total size; the least recently used
    /// entries are evicted past it (default [`DEFAULT_CACHE_MAX_BYTES`]).
    pub fn cache_max_bytes(mut self, bytes: u64) -> Self {
        self.cache_max_bytes = bytes;
        self
    }

    /// The most any call may ask for ([`CallLimits::ceiling`] by default,
    /// the host policy's `[limits]` in a service): every call's limits are
    /// capped by it, and the instance pool is sized from it.
    pub fn ceiling(mut self, ceiling: CallLimits) -> Self {
        self.ceiling = ceiling;
        self
    }

    /// Calls running at once (default [`DEFAULT_MAX_CONCURRENT_CALLS`]);
    /// the instance pool holds exactly this many calls.
    pub fn max_concurrent_calls(mut self, n: usize) -> Self {
        self.max_concurrent_calls = n.max(1);
        self
    }

    /// Calls waiting for a slot (default [`DEFAULT_MAX_QUEUED_CALLS`]);
    /// past it a call fails at once with `busy`.
    pub fn max_queued_calls(mut self, n: usize) -> Self {
        self.max_queued_calls = n;
        self
    }

    /// Uses the pooling instance allocator (the default) or allocates each
    /// instance on demand (for comparison in the benchmarks).
    pub fn pooling(mut self, enabled: bool) -> Self {
        self.pooling = enabled;
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
        if self.pooling {
            config.allocation_strategy(pool::pooling_config(
                self.max_concurrent_calls,
                &self.ceiling,
            ));
        }
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
                cache: self
                    .cache_dir
                    .map(|dir| CompileCache::new(dir, self.cache_max_bytes)),
                fuel: self.fuel,
                locks: self.locks.unwrap_or_default(),
                slots: CallSlots::new(self.max_concurrent_calls, self.max_queued_calls),
                max_concurrent_calls: self.max_concurrent_calls,
                ceiling: self.ceiling,
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
    slots: CallSlots,
    max_concurrent_calls: usize,
    ceiling: CallLimits,
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

    /// The most any call may ask for; every call's limits are capped by it.
    pub fn ceiling(&self) -> &CallLimits {
        &self.inner.ceiling
    }

    /// Calls running now, of at most `max_concurrent_calls`.
    pub fn running_calls(&self) -> usize {
        self.inner.slots.running(self.inner.max_concurrent_calls)
    }

    /// Admission to the call pool.
    pub(crate) fn slots(&self) -> &CallSlots {
        &self.inner.slots
    }
}
