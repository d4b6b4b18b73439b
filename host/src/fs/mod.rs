//! The `fs` host API semantics: grant check → path parse → beneath-root
//! open → bounded I/O → atomic write.
//!
//! This module knows nothing about WebAssembly; the ABI adapter
//! ([`crate::abi`]) translates WIT types to these and back. Host tools may
//! use [`FsContext`] directly to act with exactly a plugin's authority.
//!
//! Where things live: path parsing in [`path`], on-disk resolution (the
//! symlink policy) in `resolve`, bounds in [`crate::limits`], atomic writes in
//! `write`, the shared write-lock registry in [`locks`], errors in
//! [`error`].

pub mod error;
pub mod locks;
mod name;
pub mod path;
mod resolve;
mod write;

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use self::error::{FsError, FsErrorCode};
use self::locks::LockRegistry;
use self::path::{GuestPath, MAX_SEGMENT_BYTES, TEMP_PREFIX};
use crate::deadline::CallControl;
use crate::grant::{Grant, GrantSet, Operation};
use crate::limits::{BudgetExhausted, InvocationBudget, MAX_PATH_BYTES};

/// What a directory entry or path is. Symlinks are reported, never followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (never followed).
    Symlink,
    /// Anything else (FIFO, socket, device).
    Other,
}

/// The result of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOutput {
    /// Bytes read: at most the requested length and the bound.
    pub data: Vec<u8>,
    /// Total file size.
    pub size: u64,
    /// True when the file continues past `offset + data.len()`.
    pub truncated: bool,
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntry {
    /// Entry name (one segment).
    pub name: String,
    /// What it is.
    pub kind: EntryKind,
    /// Size for files, 0 otherwise.
    pub size: u64,
}

/// One page of a listing, ordered bytewise by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    /// The entries of this page.
    pub entries: Vec<DirEntry>,
    /// Cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// How a write treats an existing target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WriteMode {
    /// Create or replace.
    #[default]
    CreateOrReplace,
    /// Fail with `already-exists` if the target exists.
    CreateNew,
    /// Fail with `not-found` if the target does not exist.
    ReplaceExisting,
}

/// Options of a write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Existing-target behaviour.
    pub mode: WriteMode,
    /// Compare-and-swap: the SHA-256 the current content must have, or
    /// `"absent"` for "must not exist".
    pub expected_digest: Option<String>,
}

/// The result of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOutput {
    /// Bytes written.
    pub size: u64,
    /// SHA-256 (lowercase hex) of the new content.
    pub digest: String,
}

/// Metadata of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// What it is.
    pub kind: EntryKind,
    /// Size for files, 0 otherwise.
    pub size: u64,
}

/// One invocation's fs authority: a plugin's grants, the shared lock
/// registry, and what is left of the per-invocation budget.
#[derive(Debug)]
pub struct FsContext {
    grants: Arc<GrantSet>,
    locks: Arc<LockRegistry>,
    budget: InvocationBudget,
    control: CallControl,
}

impl FsContext {
    /// A context acting with exactly `grants`, with no deadline (host
    /// tools); a plugin call's context observes its call's
    /// [`CallControl`] ([`FsContext::with_control`]).
    pub fn new(grants: Arc<GrantSet>, locks: Arc<LockRegistry>, budget: InvocationBudget) -> Self {
        FsContext {
            grants,
            locks,
            budget,
            control: CallControl::new(std::time::Duration::MAX),
        }
    }

    /// The same context, refusing every operation once `control` has
    /// expired (deadline or cancellation).
    pub fn with_control(mut self, control: CallControl) -> Self {
        self.control = control;
        self
    }

    /// Reads up to `max_len` bytes at `offset` (capped by the mount's read
    /// bound and the invocation budget).
    pub fn read(&mut self, path: &str, offset: u64, max_len: u32) -> Result<ReadOutput, FsError> {
        self.run(Operation::Read, path, |ctx, grant, gp| {
            let Some((parents, name)) = gp.split_last() else {
                return Err(FsError::new(
                    FsErrorCode::NotAFile,
                    "a mount root is a directory",
                    Some(path),
                ));
            };
            let allowance = ctx.budget.read_allowance();
            if allowance == 0 && max_len > 0 {
                return Err(BudgetExhausted::ReadBytes.into());
            }
            let dir = resolve::open_dir(grant.dir(), parents, path)?;
            let (mut file, meta) = resolve::open_file(&dir, name, path)?;
            let size = meta.len();
            let want = u64::from(max_len.min(grant.bounds().read_bytes))
                .min(allowance)
                .min(size.saturating_sub(offset));
            let mut data = Vec::with_capacity(want as usize);
            if want > 0 {
                file.seek(SeekFrom::Start(offset))
                    .map_err(|e| FsError::from_io(&e, path))?;
                (&mut file)
                    .take(want)
                    .read_to_end(&mut data)
                    .map_err(|e| FsError::from_io(&e, path))?;
            }
            ctx.budget.spend_read(data.len() as u64);
            let truncated = offset.saturating_add(data.len() as u64) < size;
            Ok(ReadOutput {
                data,
                size,
                truncated,
            })
        })
    }

    /// Lists the directory at `path`: up to `max_entries` (0 = the bound)
    /// entries whose names sort after `cursor`.
    pub fn list(
        &mut self,
        path: &str,
        cursor: Option<&str>,
        max_entries: u32,
    ) -> Result<ListPage, FsError> {
        self.run(Operation::List, path, |_ctx, grant, gp| {
            if cursor.is_some_and(|c| c.len() > MAX_SEGMENT_BYTES) {
                return Err(FsError::new(
                    FsErrorCode::InvalidPath,
                    "cursor too long",
                    None,
                ));
            }
            let inner = gp.inner();
            let dir = resolve::open_dir(grant.dir(), gp.segments(), path)?;
            let bounds = grant.bounds();
            let mut entries = Vec::new();
            let mut scanned: u32 = 0;
            for entry in dir.entries().map_err(|e| FsError::from_io(&e, path))? {
                scanned += 1;
                if scanned > bounds.dir_scan_entries {
                    return Err(FsError::new(
                        FsErrorCode::TooLarge,
                        &format!(
                            "directory has more than {} entries",
                            bounds.dir_scan_entries
                        ),
                        Some(path),
                    ));
                }
                let entry = entry.map_err(|e| FsError::from_io(&e, path))?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue; // Not addressable by a guest: not listed.
                };
                if name.starts_with(TEMP_PREFIX) || name::check(&name).is_err() {
                    continue; // Reserved, or not addressable under the Unicode policy.
                }
                let Ok(file_type) = entry.file_type() else {
                    continue; // Vanished while listing.
                };
                let child = if inner.is_empty() {
                    name.clone()
                } else {
                    format!("{inner}/{name}")
                };
                let kind = kind_of(file_type);
                let visible = match kind {
                    EntryKind::Directory => grant.policy().dir_visible(&child),
                    _ => grant.policy().file_visible(&child),
                };
                if !visible {
                    continue;
                }
                let size = match kind {
                    EntryKind::File => entry.metadata().map(|m| m.len()).unwrap_or(0),
                    _ => 0,
                };
                entries.push(DirEntry { name, kind, size });
            }
            entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
            if let Some(cursor) = cursor {
                entries.retain(|e| e.name.as_bytes() > cursor.as_bytes());
            }
            let page = if max_entries == 0 {
                bounds.list_entries
            } else {
                max_entries.min(bounds.list_entries)
            };
            let more = entries.len() > page as usize;
            entries.truncate(page as usize);
            let next_cursor = if more {
                entries.last().map(|e| e.name.clone())
            } else {
                None
            };
            Ok(ListPage {
                entries,
                next_cursor,
            })
        })
    }

    /// Writes `data` to `path` atomically (see the `write` module).
    pub fn write(
        &mut self,
        path: &str,
        data: &[u8],
        options: &WriteOptions,
    ) -> Result<WriteOutput, FsError> {
        let locks = self.locks.clone();
        let control = self.control.clone();
        self.run(Operation::Write, path, |ctx, grant, gp| {
            let bound = grant.bounds().write_bytes;
            if data.len() as u64 > u64::from(bound) {
                return Err(FsError::new(
                    FsErrorCode::TooLarge,
                    &format!(
                        "write of {} bytes is above the {bound}-byte bound",
                        data.len()
                    ),
                    Some(path),
                ));
            }
            ctx.budget.take_write(data.len() as u64)?;
            let mut spend = |n: u64| -> Result<(), FsError> {
                if control.expired().is_some() {
                    return Err(time_over());
                }
                if n > ctx.budget.read_allowance() {
                    return Err(BudgetExhausted::ReadBytes.into());
                }
                ctx.budget.spend_read(n);
                Ok(())
            };
            write::write_atomic(grant, &locks, gp, path, data, options, &mut spend)
        })
    }

    /// Metadata of `path`, not following symlinks.
    pub fn stat(&mut self, path: &str) -> Result<Metadata, FsError> {
        self.run(Operation::Stat, path, |_ctx, grant, gp| {
            let Some((parents, name)) = gp.split_last() else {
                return Ok(Metadata {
                    kind: EntryKind::Directory,
                    size: 0,
                });
            };
            let dir = resolve::open_dir(grant.dir(), parents, path)?;
            let meta = resolve::lstat(&dir, name, path)?.ok_or_else(|| {
                FsError::new(
                    FsErrorCode::NotFound,
                    "no such file or directory",
                    Some(path),
                )
            })?;
            let kind = kind_of(meta.file_type());
            Ok(Metadata {
                kind,
                size: if kind == EntryKind::File {
                    meta.len()
                } else {
                    0
                },
            })
        })
    }

    /// Authorises `op` on `path`, runs `body`, and traces the decision and
    /// the outcome with the plugin identity.
    fn run<T>(
        &mut self,
        op: Operation,
        path: &str,
        body: impl FnOnce(&mut Self, &Grant, &GuestPath) -> Result<T, FsError>,
    ) -> Result<T, FsError> {
        let grants = self.grants.clone();
        let result = self
            .budget
            .take_call()
            .map_err(FsError::from)
            .and_then(|()| match self.control.expired() {
                Some(_) => Err(time_over()),
                None => Ok(()),
            })
            .and_then(|()| authorize(&grants, op, path))
            .and_then(|(grant, gp)| body(self, grant, &gp));
        crate::metrics::record_fs_decision(
            op.as_str(),
            result.as_ref().map_or_else(|e| e.code.as_str(), |_| "ok"),
        );
        // The redacted path is only worth computing when someone listens.
        if tracing::enabled!(target: "yoi_plugin_host::fs", tracing::Level::INFO) {
            let shown = match &result {
                Err(e) if e.code == FsErrorCode::InvalidPath => "<invalid>".to_owned(),
                _ => crate::diag::redact_guest_path(path),
            };
            match &result {
                Ok(_) => tracing::info!(
                    target: "yoi_plugin_host::fs",
                    plugin = %grants.plugin(), op = op.as_str(), path = %shown,
                    decision = "allowed", "fs {op} allowed"
                ),
                Err(e) => tracing::info!(
                    target: "yoi_plugin_host::fs",
                    plugin = %grants.plugin(), op = op.as_str(), path = %shown,
                    decision = if e.code == FsErrorCode::Denied { "denied" } else { "failed" },
                    code = e.code.as_str(), "fs {op} refused: {}", e.code
                ),
            }
        }
        result
    }
}

/// The call's deadline passed or it was cancelled: no more fs work.
fn time_over() -> FsError {
    FsError::new(
        FsErrorCode::LimitExceeded,
        "the call's time is over (deadline or cancellation)",
        None,
    )
}

/// The grant check: parse, find the mount's grant, check the operation and
/// the path policy. Nothing here touches the disk.
fn authorize<'g>(
    grants: &'g GrantSet,
    op: Operation,
    path: &str,
) -> Result<(&'g Grant, GuestPath), FsError> {
    let gp = GuestPath::parse(path, MAX_PATH_BYTES)?;
    let denied = |what: &str| FsError::new(FsErrorCode::Denied, what, Some(path));
    let grant = grants
        .get(gp.mount())
        .ok_or_else(|| denied("no grant for this mount"))?;
    if !grant.allows(op) {
        return Err(denied(&format!("'{op}' is not granted on this mount")));
    }
    let inner = gp.inner();
    let visible = match op {
        Operation::List => grant.policy().dir_visible(&inner),
        Operation::Stat => {
            grant.policy().file_visible(&inner) || grant.policy().dir_visible(&inner)
        }
        Operation::Read | Operation::Write => {
            inner.is_empty() || grant.policy().file_visible(&inner)
        }
    };
    if !visible {
        return Err(denied("path is outside the grant's patterns"));
    }
    Ok((grant, gp))
}

fn kind_of(file_type: cap_std::fs::FileType) -> EntryKind {
    if file_type.is_symlink() {
        EntryKind::Symlink
    } else if file_type.is_dir() {
        EntryKind::Directory
    } else if file_type.is_file() {
        EntryKind::File
    } else {
        EntryKind::Other
    }
}

/// SHA-256 of `data`, 64 lowercase hex: the digest used for compare-and-swap.
pub fn content_digest(data: &[u8]) -> String {
    crate::names::Digest::of(data).to_string()
}
