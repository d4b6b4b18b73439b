//! One compiled, pre-linked component and one call on a fresh store.
//!
//! [`LoadedComponent::load`]: inspect (the ABI contract), compile or load
//! from the cache, pre-link, and wrap the pre-instance in the version's
//! [`AbiPre`] arm. [`LoadedComponent::call_blocking`]: a fresh store with
//! the call's views (fs authority, log sink, WASI, limiter), the deadline,
//! the tool export called once, traps classified into typed errors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, ResourceTable};
use wasmtime::{Store, Trap, UpdateDeadline};

use super::error::{CallError, LoadError};
use super::limiter::{LimitHit, Limiter};
use super::state::CallState;
use super::{CacheOutcome, PluginHost, wasi};
use crate::abi::inspect::{self, ComponentInfo};
use crate::abi::{AbiPre, ToolError};
use crate::deadline::{CallControl, Expiry};
use crate::fs::FsContext;
use crate::grant::GrantSet;
use crate::identity::PluginIdentity;
use crate::limits::{CallLimits, MAX_TOOL_ERROR_BYTES};
use crate::log::{LogRecord, LogSink};
use crate::names::Digest;

/// Longest tool name accepted.
pub const MAX_TOOL_NAME_BYTES: usize = 128;

/// A compiled, pre-linked component. Cheap to clone; calls may run
/// concurrently, each on its own store and instance.
#[derive(Clone)]
pub(crate) struct LoadedComponent {
    inner: Arc<Inner>,
}

struct Inner {
    host: PluginHost,
    info: ComponentInfo,
    cache: CacheOutcome,
    pre: AbiPre<CallState>,
}

/// Everything a call produced: the result plus diagnostics for the host
/// operator (never part of the tool result).
/// `T` is the tool's JSON output: parsed (`Value`, what
/// [`crate::Plugin`] returns) or the component's raw text (inside the
/// runtime).
#[derive(Debug, Clone)]
pub struct CallOutcome<T = serde_json::Value> {
    /// The tool's JSON output, or why there is none.
    pub result: Result<T, CallError>,
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

impl<T> CallOutcome<T> {
    /// The same outcome with `f` applied to a successful result.
    pub(crate) fn and_then<U>(self, f: impl FnOnce(T) -> Result<U, CallError>) -> CallOutcome<U> {
        CallOutcome {
            result: self.result.and_then(f),
            logs: self.logs,
            logs_dropped: self.logs_dropped,
            stdout: self.stdout,
            stderr: self.stderr,
            elapsed: self.elapsed,
        }
    }

    /// An outcome of a call refused before any plugin code ran.
    pub(crate) fn refused(error: CallError, started: Instant) -> Self {
        CallOutcome {
            result: Err(error),
            logs: Vec::new(),
            logs_dropped: 0,
            stdout: String::new(),
            stderr: String::new(),
            elapsed: started.elapsed(),
        }
    }
}

fn bounded(e: &wasmtime::Error) -> String {
    crate::diag::bound(&format!("{e:#}"), 300)
}

impl LoadedComponent {
    /// Inspects, compiles (through the cache) and pre-links `bytes`.
    /// Nothing of the component runs.
    pub fn load(host: &PluginHost, bytes: &[u8]) -> Result<LoadedComponent, LoadError> {
        let info = inspect::inspect(bytes)?;
        LoadedComponent::load_inspected(host, bytes, info, &Digest::of(bytes))
    }

    /// [`LoadedComponent::load`] of bytes already inspected (`info`) and
    /// hashed (`digest`, their SHA-256), as a validated package's are.
    pub fn load_inspected(
        host: &PluginHost,
        bytes: &[u8],
        info: ComponentInfo,
        digest: &Digest,
    ) -> Result<LoadedComponent, LoadError> {
        let host_inner = &host.inner;
        let engine = &host_inner.engine;
        let compile = || Component::new(engine, bytes);
        let (component, cache) = match &host_inner.cache {
            Some(cache) => cache.load_or_compile(engine, digest, compile),
            None => compile().map(|c| (c, CacheOutcome::Disabled)),
        }
        .map_err(|e| match pool_refusal(&e) {
            true => LoadError::ResourceLimit(bounded(&e)),
            false => LoadError::Compile(bounded(&e)),
        })?;
        let instance_pre = host_inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(bounded(&e)))?;
        let pre = AbiPre::new(info.abi, instance_pre).map_err(|e| LoadError::Link(bounded(&e)))?;
        Ok(LoadedComponent {
            inner: Arc::new(Inner {
                host: host.clone(),
                info,
                cache,
                pre,
            }),
        })
    }

    /// The host this component is loaded into.
    pub fn host(&self) -> &PluginHost {
        &self.inner.host
    }

    /// What static inspection found.
    pub fn info(&self) -> &ComponentInfo {
        &self.inner.info
    }

    /// Whether the compile cache served the load.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.inner.cache
    }

    /// Runs one call on a fresh store: `identity`'s `grants` as the fs
    /// authority, `limits` on everything. The caller (the plugin call path)
    /// has checked the tool, the input and the grants' identity.
    #[allow(clippy::too_many_arguments)]
    pub fn call_blocking(
        &self,
        identity: &PluginIdentity,
        grants: Arc<GrantSet>,
        tool: &str,
        input: &str,
        limits: &CallLimits,
        control: &CallControl,
    ) -> CallOutcome<String> {
        let started = Instant::now();
        let host = &self.inner.host.inner;
        let (wasi, stdio) = wasi::context(limits.max_stdio_bytes);
        #[cfg(feature = "http")]
        let http = super::state::HttpState {
            ctx: wasmtime_wasi_http::WasiHttpCtx::new(),
            hooks: crate::net::send::HttpHooks::new(
                grants.network().clone(),
                control.clone(),
                limits.http.clone(),
            ),
        };
        let state = CallState {
            control: control.clone(),
            wasi,
            table: ResourceTable::new(),
            fs: FsContext::new(grants, host.locks.clone(), limits.fs_budget.clone())
                .with_control(control.clone()),
            log: LogSink::new(
                identity.clone(),
                limits.max_log_records,
                limits.max_log_message_bytes,
            ),
            limiter: Limiter::new(limits),
            #[cfg(feature = "http")]
            http,
        };
        let mut store = Store::new(&host.engine, state);
        let result = self.run(&mut store, tool, input, limits);
        let (logs, logs_dropped) = store.into_data().log.into_parts();
        CallOutcome {
            result,
            logs,
            logs_dropped,
            stdout: String::from_utf8_lossy(&stdio.stdout.contents()).into_owned(),
            stderr: String::from_utf8_lossy(&stdio.stderr.contents()).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    fn run(
        &self,
        store: &mut Store<CallState>,
        tool: &str,
        input: &str,
        limits: &CallLimits,
    ) -> Result<String, CallError> {
        store.limiter(|s| &mut s.limiter);
        // Every epoch tick, the guest's wasm checks the call's control:
        // the deadline and cancellation end the call within one tick.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|store| match store.data().control.expired() {
            Some(_) => Err(Trap::Interrupt.into()),
            None => Ok(UpdateDeadline::Continue(1)),
        });
        if self.inner.host.inner.fuel {
            store
                .set_fuel(limits.fuel.unwrap_or(u64::MAX))
                .map_err(|e| CallError::Internal(e.to_string()))?;
        }
        match self.inner.pre.call(store, tool, input) {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(ToolError::UnknownTool(m))) => Err(CallError::UnknownTool(guest_text(&m))),
            Ok(Err(ToolError::InvalidInput(m))) => Err(CallError::InvalidInput(guest_text(&m))),
            Ok(Err(ToolError::Failed(m))) => Err(CallError::ToolFailed(guest_text(&m))),
            Err(err) => Err(classify_trap(store, &err, limits)),
        }
    }
}

/// Whether wasmtime's pooling allocator refused the component at load:
/// it declares more core instances, memories or tables, or a larger
/// initial memory or table, than the pool's per-call slots hold (the host
/// ceiling). The texts are wasmtime's (pinned version); `tests/tests/pool.rs`
/// checks each kind maps.
fn pool_refusal(err: &wasmtime::Error) -> bool {
    let text = format!("{err:#}");
    [
        "in the pooling allocator",
        "exceeds the per-instance limit",
        "exceeds the total tables limit",
        "which exceeds the limit of",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// A tool error's text as the guest wrote it: bounded like every other
/// diagnostic ([`MAX_TOOL_ERROR_BYTES`]), control characters other than
/// newlines replaced.
fn guest_text(message: &str) -> String {
    let cleaned: String = message
        .chars()
        .take(MAX_TOOL_ERROR_BYTES)
        .map(|c| if c.is_control() && c != '\n' { '?' } else { c })
        .collect();
    crate::diag::bound(&cleaned, MAX_TOOL_ERROR_BYTES)
}

/// Turns a wasmtime error into a typed call error. Trap messages are
/// reduced to the trap code (no guest backtrace text).
fn classify_trap(
    store: &Store<CallState>,
    err: &wasmtime::Error,
    limits: &CallLimits,
) -> CallError {
    let state = store.data();
    match state.limiter.hit {
        Some(LimitHit::Memory) => return CallError::MemoryLimit(limits.memory_bytes),
        Some(LimitHit::Table) => return CallError::TableLimit,
        None => {}
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => match state.control.expired() {
            Some(Expiry::Cancelled) => CallError::Cancelled,
            _ => CallError::Timeout(limits.timeout),
        },
        Some(Trap::StackOverflow) => CallError::StackOverflow,
        Some(Trap::OutOfFuel) => CallError::FuelExhausted,
        Some(trap) => CallError::Trap(trap.to_string()),
        None if err
            .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
            .is_some() =>
        {
            CallError::Busy
        }
        None => super::limiter::count_limit(err, limits)
            .unwrap_or_else(|| CallError::Trap(crate::diag::bound(&err.to_string(), 200))),
    }
}
