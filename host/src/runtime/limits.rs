//! Per-call resource limits and the store limiter that enforces them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fs::bounds::InvocationBudget;

/// Default linear-memory cap per call (all memories of the instance).
pub const DEFAULT_MEMORY_BYTES: usize = 64 * 1024 * 1024;
/// Default wall-clock timeout per call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on table elements.
pub const DEFAULT_TABLE_ELEMENTS: usize = 20_000;
/// Default cap on instances, tables and memories per store.
pub const DEFAULT_INSTANCES: usize = 32;
/// Default cap on tool input size.
pub const DEFAULT_MAX_INPUT_BYTES: usize = 1024 * 1024;
/// Default cap on tool output size.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// Default cap on captured stdout and on captured stderr.
pub const DEFAULT_MAX_STDIO_BYTES: usize = 64 * 1024;
/// Default cap on log records per call.
pub const DEFAULT_MAX_LOG_RECORDS: usize = 256;
/// Default cap on one log message.
pub const DEFAULT_MAX_LOG_MESSAGE_BYTES: usize = 1024;

/// Limits of one tool call. Every field has a conservative default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallLimits {
    /// Linear-memory cap in bytes; growing past it fails the call with
    /// `memory-limit`.
    pub memory_bytes: usize,
    /// Table-elements cap.
    pub table_elements: usize,
    /// Instances/tables/memories cap per store.
    pub instances: usize,
    /// Wall-clock timeout (epoch interruption); past it the call fails with
    /// `timeout`.
    #[serde(with = "duration_ms")]
    pub timeout: Duration,
    /// Optional fuel (instruction budget); exhausting it fails the call with
    /// `fuel-exhausted`. Requires a host built with fuel enabled.
    pub fuel: Option<u64>,
    /// Cap on the input JSON.
    pub max_input_bytes: usize,
    /// Cap on the output JSON.
    pub max_output_bytes: usize,
    /// Cap on captured stdout and on captured stderr (writes past it fail
    /// in the guest).
    pub max_stdio_bytes: usize,
    /// Cap on log records kept per call (later records are counted, not kept).
    pub max_log_records: usize,
    /// Cap on one log message (longer ones are cut).
    pub max_log_message_bytes: usize,
    /// Per-invocation fs totals.
    #[serde(skip)]
    pub fs_budget: InvocationBudget,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            memory_bytes: DEFAULT_MEMORY_BYTES,
            table_elements: DEFAULT_TABLE_ELEMENTS,
            instances: DEFAULT_INSTANCES,
            timeout: DEFAULT_TIMEOUT,
            fuel: None,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_stdio_bytes: DEFAULT_MAX_STDIO_BYTES,
            max_log_records: DEFAULT_MAX_LOG_RECORDS,
            max_log_message_bytes: DEFAULT_MAX_LOG_MESSAGE_BYTES,
            fs_budget: InvocationBudget::default(),
        }
    }
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Which limit stopped a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimitHit {
    Memory,
    Table,
}

/// Enforces [`CallLimits`] on a store and remembers which limit was hit, so
/// the resulting trap can be reported as the right typed error.
pub(crate) struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    instances: usize,
    pub hit: Option<LimitHit>,
}

impl Limiter {
    pub fn new(limits: &CallLimits) -> Self {
        Limiter {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            instances: limits.instances,
            hit: None,
        }
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.hit = Some(LimitHit::Memory);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            self.hit = Some(LimitHit::Table);
            return Ok(false);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.instances
    }

    fn memories(&self) -> usize {
        self.instances
    }
}
