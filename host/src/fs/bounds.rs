//! Every fs bound, by name, and what happens at it.
//!
//! | bound | default | at the bound |
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

use serde::{Deserialize, Serialize};

use super::error::{FsError, FsErrorCode};

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

/// What one tool invocation may still spend on fs calls.
#[derive(Debug, Clone)]
pub struct InvocationBudget {
    read_bytes_left: u64,
    write_bytes_left: u64,
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

    pub(crate) fn take_call(&mut self) -> Result<(), FsError> {
        if self.calls_left == 0 {
            return Err(exhausted("fs call budget of this invocation used up"));
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

    pub(crate) fn take_write(&mut self, n: u64) -> Result<(), FsError> {
        if n > self.write_bytes_left {
            return Err(exhausted("write budget of this invocation used up"));
        }
        self.write_bytes_left -= n;
        Ok(())
    }

    pub(crate) fn read_exhausted(&self) -> FsError {
        exhausted("read budget of this invocation used up")
    }
}

fn exhausted(what: &str) -> FsError {
    FsError::new(FsErrorCode::LimitExceeded, what, None)
}
