//! The per-call store data: WASI context, fs authority, log sink, limiter.
//! Everything here lives for one call and is dropped with its store.

use serde::{Deserialize, Serialize};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::limits::Limiter;
use crate::diag;
use crate::fs::FsContext;
use crate::identity::PluginIdentity;

/// Severity of a guest log record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Trace.
    Trace,
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warning.
    Warn,
    /// Error.
    Error,
}

/// One message a guest logged through the `log` interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Severity.
    pub level: LogLevel,
    /// The message, cut to the per-message bound.
    pub message: String,
}

/// Bounded collector of guest log records. Guest text is kept for the
/// integrator in the call outcome; it is not forwarded to the host's
/// `tracing` output (only counts are), so a plugin cannot write into the
/// host's logs.
pub(crate) struct LogSink {
    pub records: Vec<LogRecord>,
    pub dropped: usize,
    max_records: usize,
    max_message_bytes: usize,
}

impl LogSink {
    pub fn new(max_records: usize, max_message_bytes: usize) -> Self {
        LogSink {
            records: Vec::new(),
            dropped: 0,
            max_records,
            max_message_bytes,
        }
    }

    pub fn push(&mut self, plugin: &PluginIdentity, level: LogLevel, message: &str) {
        if self.records.len() >= self.max_records {
            self.dropped += 1;
            return;
        }
        let message = diag::bound(message, self.max_message_bytes);
        tracing::debug!(target: "yoi_plugin_host::guest_log", plugin = %plugin, ?level, bytes = message.len(), "guest log record");
        self.records.push(LogRecord { level, message });
    }
}

/// Store data of one call.
pub(crate) struct PluginState {
    pub plugin: PluginIdentity,
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub fs: FsContext,
    pub log: LogSink,
    pub limiter: Limiter,
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
