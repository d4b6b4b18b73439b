//! The `log` host API semantics: a bounded collector of a call's guest log
//! records.
//!
//! Guest text is kept for the integrator in the call outcome; it is not
//! forwarded to the host's `tracing` output (only counts are), so a plugin
//! cannot write into the host's logs.

use serde::{Deserialize, Serialize};

use crate::diag;
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

/// Bounded collector of one call's guest log records.
#[derive(Debug)]
pub struct LogSink {
    plugin: PluginIdentity,
    records: Vec<LogRecord>,
    dropped: usize,
    max_records: usize,
    max_message_bytes: usize,
}

impl LogSink {
    /// A sink for `plugin` keeping at most `max_records` records of at most
    /// `max_message_bytes` each.
    pub fn new(plugin: PluginIdentity, max_records: usize, max_message_bytes: usize) -> Self {
        LogSink {
            plugin,
            records: Vec::new(),
            dropped: 0,
            max_records,
            max_message_bytes,
        }
    }

    /// Records one message (cut to the bound), or counts it as dropped.
    pub fn push(&mut self, level: LogLevel, message: &str) {
        if self.records.len() >= self.max_records {
            self.dropped += 1;
            return;
        }
        let message = diag::bound(message, self.max_message_bytes);
        tracing::debug!(target: "yoi_plugin_host::guest_log", plugin = %self.plugin, ?level, bytes = message.len(), "guest log record");
        self.records.push(LogRecord { level, message });
    }

    /// The records kept and the number dropped.
    pub fn into_parts(self) -> (Vec<LogRecord>, usize) {
        (self.records, self.dropped)
    }
}
