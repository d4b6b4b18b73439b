//! Every limit, by name: the limits of one tool call ([`CallLimits`]) and
//! the bounds of the `fs` host API ([`FsBounds`], [`InvocationBudget`]).
//!
//! A leaf module: plain data and constants, depended on by grants, the fs
//! semantics, the runtime and the policy, depending on nothing of theirs.
//!
//! | fs bound | default | at the bound |
//! |---|---|---|
//! | path bytes | [`MAX_PATH_BYTES`] | `invalid-path` |
//! | read bytes per call | [`MAX_READ_BYTES`] | truncate; `truncated` + `size` let the guest page |
//! | write bytes per call | [`MAX_WRITE_BYTES`] | `too-large`, file untouched |
//! | entries per list call | [`MAX_LIST_ENTRIES`] | page; `next-cursor` continues |
//! | entries scanned per directory | [`MAX_DIR_SCAN_ENTRIES`] | `too-large` |
//! | bytes read per invocation | [`MAX_READ_BYTES_PER_INVOCATION`] | `limit-exceeded` |
//! | bytes written per invocation | [`MAX_WRITE_BYTES_PER_INVOCATION`] | `limit-exceeded` |
//! | fs calls per invocation | [`MAX_FS_CALLS_PER_INVOCATION`] | `limit-exceeded` |
//!
//! Host maxima are [`FsBounds::HOST_MAX`]; a grant may lower any bound for
//! its mount but never raise one above the host maximum.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Default linear-memory cap per call (all memories of the instance).
pub const DEFAULT_MEMORY_BYTES: usize = 64 * 1024 * 1024;
/// Default wall-clock timeout per call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on table elements.
pub const DEFAULT_TABLE_ELEMENTS: usize = 20_000;
/// Default cap on instances per call.
pub const DEFAULT_INSTANCES: usize = 64;
/// Default cap on linear memories per call.
pub const DEFAULT_MEMORIES: usize = 16;
/// Default cap on tables per call.
pub const DEFAULT_TABLES: usize = 64;
/// Longest call timeout a caller may ask for.
pub const MAX_CALL_TIMEOUT: Duration = Duration::from_secs(600);
/// Default cap on calls running at once in one host (the instance pool is
/// sized to it; `runtime/pool.rs`).
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 32;
/// Default cap on calls waiting for a slot; past it a call is `busy`.
pub const DEFAULT_MAX_QUEUED_CALLS: usize = 256;
/// Longest tool-error message kept (the rest is cut), in bytes.
pub const MAX_TOOL_ERROR_BYTES: usize = 4096;
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallLimits {
    /// Linear-memory cap in bytes, the total over every memory of the
    /// call; creating or growing past it fails the call with `memory-limit`.
    pub memory_bytes: usize,
    /// Table-elements cap, the total over every table of the call
    /// (`table-limit`).
    pub table_elements: usize,
    /// Instances cap per call.
    pub instances: usize,
    /// Linear memories cap per call.
    pub memories: usize,
    /// Tables cap per call.
    pub tables: usize,
    /// Wall-clock timeout of the whole call — wasm and host calls (WASI
    /// clock waits, fs) alike; past it the call fails with `timeout`. Capped
    /// at [`MAX_CALL_TIMEOUT`].
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
    /// Per-invocation fs totals (`fs_budget = { read_bytes, write_bytes,
    /// calls }` in a policy's `[limits]`).
    pub fs_budget: InvocationBudget,
    /// Bounds of the call's outbound HTTP requests (`http = { … }` in a
    /// policy's `[limits]`); they matter only with a network grant.
    pub http: HttpBounds,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            memory_bytes: DEFAULT_MEMORY_BYTES,
            table_elements: DEFAULT_TABLE_ELEMENTS,
            instances: DEFAULT_INSTANCES,
            memories: DEFAULT_MEMORIES,
            tables: DEFAULT_TABLES,
            timeout: DEFAULT_TIMEOUT,
            fuel: None,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            max_stdio_bytes: DEFAULT_MAX_STDIO_BYTES,
            max_log_records: DEFAULT_MAX_LOG_RECORDS,
            max_log_message_bytes: DEFAULT_MAX_LOG_MESSAGE_BYTES,
            fs_budget: InvocationBudget::default(),
            http: HttpBounds::default(),
        }
    }
}

impl CallLimits {
    /// The host's default ceiling: the most any caller may ask for unless
    /// the host policy's `[limits]` table says otherwise. The counts equal
    /// the per-call defaults; sizes and times leave room above them.
    pub fn ceiling() -> CallLimits {
        CallLimits {
            memory_bytes: 512 * 1024 * 1024,
            table_elements: 100_000,
            instances: DEFAULT_INSTANCES,
            memories: DEFAULT_MEMORIES,
            tables: DEFAULT_TABLES,
            timeout: MAX_CALL_TIMEOUT,
            fuel: None,
            max_input_bytes: 16 * 1024 * 1024,
            max_output_bytes: 16 * 1024 * 1024,
            max_stdio_bytes: 1024 * 1024,
            max_log_records: 4096,
            max_log_message_bytes: 16 * 1024,
            fs_budget: InvocationBudget::default(),
            http: HttpBounds::ceiling(),
        }
    }

    /// These limits with every field capped at `ceiling`'s (the one rule
    /// by which a host bounds what a caller asks for). The timeout is also
    /// capped at [`MAX_CALL_TIMEOUT`], whatever the ceiling says; fuel is
    /// the lower of the two when both are set.
    pub fn capped_by(&self, ceiling: &CallLimits) -> CallLimits {
        CallLimits {
            memory_bytes: self.memory_bytes.min(ceiling.memory_bytes),
            table_elements: self.table_elements.min(ceiling.table_elements),
            instances: self.instances.min(ceiling.instances),
            memories: self.memories.min(ceiling.memories),
            tables: self.tables.min(ceiling.tables),
            timeout: self.timeout.min(ceiling.timeout).min(MAX_CALL_TIMEOUT),
            fuel: match (self.fuel, ceiling.fuel) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            max_input_bytes: self.max_input_bytes.min(ceiling.max_input_bytes),
            max_output_bytes: self.max_output_bytes.min(ceiling.max_output_bytes),
            max_stdio_bytes: self.max_stdio_bytes.min(ceiling.max_stdio_bytes),
            max_log_records: self.max_log_records.min(ceiling.max_log_records),
            max_log_message_bytes: self
                .max_log_message_bytes
                .min(ceiling.max_log_message_bytes),
            fs_budget: self.fs_budget.min(&ceiling.fs_budget),
            http: self.http.min(&ceiling.http),
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

/// Upper bound, in bytes, of any diagnostic message the host produces.
pub const MAX_DIAGNOSTIC_BYTES: usize = 256;
/// Upper bound, in bytes, of a guest path echoed inside a diagnostic.
pub const MAX_ECHOED_PATH_BYTES: usize = 96;

/// Longest guest path, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;
/// Most bytes one `read` returns.
pub const MAX_READ_BYTES: u32 = 1024 * 1024;
/// Most bytes one `write` accepts.
pub const MAX_WRITE_BYTES: u32 = 4 * 1024 * 1024;
/// Most entries one `list` returns.
pub const MAX_LIST_ENTRIES: u32 = 256;
/// Most entries a listed directory may hold (the host reads all names to
/// order them deterministically).
pub const MAX_DIR_SCAN_ENTRIES: u32 = 100_000;
/// Most bytes read in total during one tool invocation.
pub const MAX_READ_BYTES_PER_INVOCATION: u64 = 256 * 1024 * 1024;
/// Most bytes written in total during one tool invocation.
pub const MAX_WRITE_BYTES_PER_INVOCATION: u64 = 64 * 1024 * 1024;
/// Most fs calls during one tool invocation.
pub const MAX_FS_CALLS_PER_INVOCATION: u64 = 100_000;

/// Per-call bounds for one mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsBounds {
    /// Most bytes one `read` returns.
    pub read_bytes: u32,
    /// Most bytes one `write` accepts.
    pub write_bytes: u32,
    /// Most entries one `list` returns.
    pub list_entries: u32,
    /// Most entries a listed directory may hold.
    pub dir_scan_entries: u32,
}

impl FsBounds {
    /// The host maxima (also the defaults).
    pub const HOST_MAX: FsBounds = FsBounds {
        read_bytes: MAX_READ_BYTES,
        write_bytes: MAX_WRITE_BYTES,
        list_entries: MAX_LIST_ENTRIES,
        dir_scan_entries: MAX_DIR_SCAN_ENTRIES,
    };

    /// These bounds lowered by `overrides`, each capped at `self`.
    pub fn lowered_by(self, overrides: &BoundOverrides) -> FsBounds {
        let cap = |host: u32, o: Option<u32>| o.map_or(host, |v| v.min(host));
        FsBounds {
            read_bytes: cap(self.read_bytes, overrides.read_bytes),
            write_bytes: cap(self.write_bytes, overrides.write_bytes),
            list_entries: cap(self.list_entries, overrides.list_entries),
            dir_scan_entries: cap(self.dir_scan_entries, overrides.dir_scan_entries),
        }
    }
}

impl Default for FsBounds {
    fn default() -> Self {
        FsBounds::HOST_MAX
    }
}

/// Optional per-grant bound overrides; each is capped by the host maximum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundOverrides {
    /// Lower the read bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_bytes: Option<u32>,
    /// Lower the write bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_bytes: Option<u32>,
    /// Lower the list bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_entries: Option<u32>,
    /// Lower the directory-size bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir_scan_entries: Option<u32>,
}

/// What one tool invocation may still spend on fs calls. In a policy's
/// `[limits]` it is the table `fs_budget = { read_bytes, write_bytes,
/// calls }` (each optional, defaulting to the built-in totals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvocationBudget {
    #[serde(rename = "read_bytes")]
    read_bytes_left: u64,
    #[serde(rename = "write_bytes")]
    write_bytes_left: u64,
    #[serde(rename = "calls")]
    calls_left: u64,
}

impl Default for InvocationBudget {
    fn default() -> Self {
        InvocationBudget {
            read_bytes_left: MAX_READ_BYTES_PER_INVOCATION,
            write_bytes_left: MAX_WRITE_BYTES_PER_INVOCATION,
            calls_left: MAX_FS_CALLS_PER_INVOCATION,
        }
    }
}

impl InvocationBudget {
    /// A budget with explicit totals.
    pub fn new(read_bytes: u64, write_bytes: u64, calls: u64) -> Self {
        InvocationBudget {
            read_bytes_left: read_bytes,
            write_bytes_left: write_bytes,
            calls_left: calls,
        }
    }

    /// Each total at most `other`'s (the ceiling rule for budgets).
    pub fn min(&self, other: &InvocationBudget) -> InvocationBudget {
        InvocationBudget {
            read_bytes_left: self.read_bytes_left.min(other.read_bytes_left),
            write_bytes_left: self.write_bytes_left.min(other.write_bytes_left),
            calls_left: self.calls_left.min(other.calls_left),
        }
    }

    /// The totals: (read bytes, written bytes, calls).
    pub fn totals(&self) -> (u64, u64, u64) {
        (self.read_bytes_left, self.write_bytes_left, self.calls_left)
    }

    pub(crate) fn take_call(&mut self) -> Result<(), BudgetExhausted> {
        if self.calls_left == 0 {
            return Err(BudgetExhausted::Calls);
        }
        self.calls_left -= 1;
        Ok(())
    }

    /// How many bytes a read may still return.
    pub(crate) fn read_allowance(&self) -> u64 {
        self.read_bytes_left
    }

    pub(crate) fn spend_read(&mut self, n: u64) {
        self.read_bytes_left = self.read_bytes_left.saturating_sub(n);
    }

    pub(crate) fn take_write(&mut self, n: u64) -> Result<(), BudgetExhausted> {
        if n > self.write_bytes_left {
            return Err(BudgetExhausted::WriteBytes);
        }
        self.write_bytes_left -= n;
        Ok(())
    }
}

/// Which per-invocation fs total is used up (the fs API reports it as
/// `limit-exceeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetExhausted {
    /// Bytes read.
    ReadBytes,
    /// Bytes written.
    WriteBytes,
    /// Number of fs calls.
    Calls,
}

impl BudgetExhausted {
    /// What is used up, as fixed text.
    pub fn describe(self) -> &'static str {
        match self {
            BudgetExhausted::ReadBytes => "read budget of this invocation used up",
            BudgetExhausted::WriteBytes => "write budget of this invocation used up",
            BudgetExhausted::Calls => "fs call budget of this invocation used up",
        }
    }
}

/// Bounds of a call's outbound HTTP requests (`net`). Total time is the
/// call's deadline; these bound everything else. In a policy's `[limits]`
/// it is the table `http = { max_in_flight, max_request_body_bytes,
/// max_response_body_bytes, max_headers, connect_timeout }` (each optional,
/// defaulting to the built-in bounds; `connect_timeout` in milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpBounds {
    /// Requests of one call open at once.
    pub max_in_flight: usize,
    /// Request body bytes.
    pub max_request_body_bytes: usize,
    /// Response body bytes.
    pub max_response_body_bytes: usize,
    /// Header fields of a request or a response.
    pub max_headers: usize,
    /// Time to establish one TCP connection (within the deadline).
    #[serde(with = "duration_ms")]
    pub connect_timeout: Duration,
}

impl Default for HttpBounds {
    fn default() -> Self {
        HttpBounds {
            max_in_flight: 4,
            max_request_body_bytes: 1024 * 1024,
            max_response_body_bytes: 8 * 1024 * 1024,
            max_headers: 64,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl HttpBounds {
    /// The built-in ceiling: the most a caller may ask for unless the host
    /// policy's `[limits]` says otherwise.
    pub fn ceiling() -> Self {
        HttpBounds {
            max_in_flight: 16,
            max_request_body_bytes: 16 * 1024 * 1024,
            max_response_body_bytes: 64 * 1024 * 1024,
            max_headers: 256,
            connect_timeout: Duration::from_secs(30),
        }
    }

    /// Each bound at most `other`'s (the ceiling rule for HTTP bounds).
    pub fn min(&self, other: &HttpBounds) -> HttpBounds {
        HttpBounds {
            max_in_flight: self.max_in_flight.min(other.max_in_flight),
            max_request_body_bytes: self
                .max_request_body_bytes
                .min(other.max_request_body_bytes),
            max_response_body_bytes: self
                .max_response_body_bytes
                .min(other.max_response_body_bytes),
            max_headers: self.max_headers.min(other.max_headers),
            connect_timeout: self.connect_timeout.min(other.connect_timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_is_capped_by_the_ceiling() {
        let greedy = CallLimits {
            memory_bytes: usize::MAX,
            table_elements: usize::MAX,
            instances: usize::MAX,
            memories: usize::MAX,
            tables: usize::MAX,
            timeout: Duration::from_millis(u64::MAX),
            fuel: Some(u64::MAX),
            max_input_bytes: usize::MAX,
            max_output_bytes: usize::MAX,
            max_stdio_bytes: usize::MAX,
            max_log_records: usize::MAX,
            max_log_message_bytes: usize::MAX,
            fs_budget: InvocationBudget::new(u64::MAX, u64::MAX, u64::MAX),
            http: HttpBounds {
                max_in_flight: usize::MAX,
                max_request_body_bytes: usize::MAX,
                max_response_body_bytes: usize::MAX,
                max_headers: usize::MAX,
                connect_timeout: Duration::from_millis(u64::MAX),
            },
        };
        let ceiling = CallLimits {
            fuel: Some(1000),
            ..CallLimits::ceiling()
        };
        let got = greedy.capped_by(&ceiling);
        let json = |l: &CallLimits| serde_json::to_value(l).unwrap();
        assert_eq!(json(&got), json(&ceiling));
        // Below the ceiling nothing changes; fuel a ceiling sets applies.
        let modest = CallLimits::default().capped_by(&ceiling);
        let expected = CallLimits {
            fuel: Some(1000),
            ..CallLimits::default()
        };
        assert_eq!(json(&modest), json(&expected));
        // Whatever the ceiling says, no call outlives MAX_CALL_TIMEOUT.
        let loose = CallLimits {
            timeout: Duration::from_secs(u64::MAX),
            ..CallLimits::ceiling()
        };
        assert_eq!(greedy.capped_by(&loose).timeout, MAX_CALL_TIMEOUT);
    }
}
