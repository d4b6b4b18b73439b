//! The filesystem, limited to what the host granted this plugin.
//!
//! # Paths
//!
//! A path is `<mount>/<path inside the mount>`, with `/` separators, e.g.
//! `notes/2024/today.md`; the mount name and what it covers are set by the
//! host operator's grant for this exact plugin. Absolute paths, empty
//! segments, `.`, `..`, backslashes, drive prefixes and control characters
//! fail with [`ErrorCode::InvalidPath`]; paths outside every grant fail with
//! [`ErrorCode::Denied`]. Symlinks are never followed: a symlink anywhere on
//! the path fails with [`ErrorCode::Symlink`], and listings report them as
//! [`EntryKind::Symlink`].
//!
//! # Bounds
//!
//! The host bounds every call (bytes per read, bytes per write, entries per
//! listing page) and every tool invocation (total bytes and calls; past them
//! calls fail with [`ErrorCode::LimitExceeded`]). The raw calls [`read`] and
//! [`list_page`] return one page; [`read_to_bytes`], [`read_to_string`],
//! [`Reader`] and [`list`] page on for you. A write above the bound fails
//! with [`ErrorCode::TooLarge`] and changes nothing.
//!
//! # Writes
//!
//! Every write replaces the whole file atomically: a concurrent reader sees
//! the old or the new content, never a mix. For read-modify-write without
//! losing a concurrent update, use [`write_if_unchanged`] with the
//! [`content_digest`] of what you read, and retry on
//! [`ErrorCode::Conflict`]:
//!
//! ```no_run
//! use yoi_plugin_sdk::fs::{self, ErrorCode, FsError};
//!
//! fn append_line(path: &str, line: &str) -> Result<(), FsError> {
//!     loop {
//!         let (mut content, expected) = match fs::read_to_bytes(path) {
//!             Ok(old) => { let d = fs::content_digest(&old); (old, Some(d)) }
//!             Err(e) if e.code == ErrorCode::NotFound => (Vec::new(), None),
//!             Err(e) => return Err(e),
//!         };
//!         content.extend_from_slice(line.as_bytes());
//!         content.push(b'\n');
//!         match fs::write_if_unchanged(path, &content, expected.as_deref()) {
//!             Err(e) if e.code == ErrorCode::Conflict => continue, // raced: redo
//!             other => return other.map(|_| ()),
//!         }
//!     }
//! }
//! ```
//!
//! (A real plugin bounds the retries; see the `notes` example plugin.)

use std::fmt;
use std::io;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::bindings::yoi::plugin::fs::FsError as WitFsError;
pub use crate::bindings::yoi::plugin::fs::{
    DirEntry, EntryKind, ErrorCode, ListPage, Metadata, ReadResult, WriteMode, WriteOptions,
    WriteResult,
};
use crate::host;

/// The `expected-digest` value meaning "the file must not exist yet".
pub const ABSENT: &str = "absent";

/// How much the paging helpers ask for per call: as much as the host allows
/// (the host caps every request at its own bound).
const PAGE_REQUEST: u32 = u32::MAX;

/// An fs error: a stable [`ErrorCode`] and a short message from the host.
///
/// Host messages are bounded and redacted (no file content, no host paths).
/// Displays as `<code>: <message>`, e.g. `not-found: no such file`, and
/// serializes as `{"code": "not-found", "message": "..."}`.
///
/// This is the SDK's own type rather than the raw generated record, so that
/// it can have a readable [`Display`](fmt::Display) and be built by the
/// helpers below (e.g. for a non-UTF-8 file in [`read_to_string`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FsError {
    /// What went wrong, stable across hosts.
    pub code: ErrorCode,
    /// Details for humans; never parse it.
    pub message: String,
}

impl FsError {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for FsError {}

impl From<WitFsError> for FsError {
    fn from(err: WitFsError) -> Self {
        Self {
            code: err.code,
            message: err.message,
        }
    }
}

/// Recover the [`FsError`] from an [`io::Error`] produced by [`Reader`]'s
/// `std::io` traits; any other I/O error becomes [`ErrorCode::Io`].
impl From<io::Error> for FsError {
    fn from(err: io::Error) -> Self {
        match err.downcast::<FsError>() {
            Ok(fs_err) => fs_err,
            Err(err) => Self::new(ErrorCode::Io, err.to_string()),
        }
    }
}

impl ErrorCode {
    /// The code's WIT name in kebab case, e.g. `not-found`, `invalid-path`;
    /// the same string it serializes to.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Denied => "denied",
            ErrorCode::NotFound => "not-found",
            ErrorCode::InvalidPath => "invalid-path",
            ErrorCode::TooLarge => "too-large",
            ErrorCode::NotAFile => "not-a-file",
            ErrorCode::NotADirectory => "not-a-directory",
            ErrorCode::AlreadyExists => "already-exists",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Symlink => "symlink",
            ErrorCode::LimitExceeded => "limit-exceeded",
            ErrorCode::Io => "io",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EntryKind {
    /// The kind's WIT name: `file`, `directory`, `symlink` or `other`; the
    /// same string it serializes to.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Directory => "directory",
            EntryKind::Symlink => "symlink",
            EntryKind::Other => "other",
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl WriteMode {
    /// The mode's WIT name: `create-or-replace`, `create-new` or
    /// `replace-existing`; the same string it (de)serializes as.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteMode::CreateOrReplace => "create-or-replace",
            WriteMode::CreateNew => "create-new",
            WriteMode::ReplaceExisting => "replace-existing",
        }
    }
}

impl fmt::Display for WriteMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SHA-256 of `data` as 64 lowercase hex digits: the digest the host reports
/// in [`WriteResult::digest`] and compares `expected-digest` against.
pub fn content_digest(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

// ---------------------------------------------------------------------------
// Raw calls: one host call each.

/// Read one page: up to `max_len` bytes from `offset` (the host caps the
/// length at its read bound). [`ReadResult::size`] is the file's total size
/// and [`ReadResult::truncated`] says whether it continues past this page.
pub fn read(path: &str, offset: u64, max_len: u32) -> Result<ReadResult, FsError> {
    host::read(path, offset, max_len).map_err(FsError::from)
}

/// List one page of a directory: up to `max_entries` (capped by the host)
/// entries after `cursor` (`None` for the first page), ordered by name.
/// [`list`] follows the cursors for you.
pub fn list_page(path: &str, cursor: Option<&str>, max_entries: u32) -> Result<ListPage, FsError> {
    host::list(path, cursor, max_entries).map_err(FsError::from)
}

/// Metadata of `path`. Symlinks are not followed (see the module docs).
pub fn stat(path: &str) -> Result<Metadata, FsError> {
    host::stat(path).map_err(FsError::from)
}

/// Write `data` as the whole content of `path` with explicit options: the
/// raw call behind [`write()`], [`create_new`] and [`write_if_unchanged`].
pub fn write_with(
    path: &str,
    data: impl AsRef<[u8]>,
    options: &WriteOptions,
) -> Result<WriteResult, FsError> {
    host::write(path, data.as_ref(), options).map_err(FsError::from)
}

// ---------------------------------------------------------------------------
// Writes.

/// Create `path` or replace its content with `data`, atomically.
pub fn write(path: &str, data: impl AsRef<[u8]>) -> Result<WriteResult, FsError> {
    write_with(
        path,
        data,
        &WriteOptions {
            mode: WriteMode::CreateOrReplace,
            expected_digest: None,
        },
    )
}

/// Create `path` with `data`; fails with [`ErrorCode::AlreadyExists`] if it
/// exists.
pub fn create_new(path: &str, data: impl AsRef<[u8]>) -> Result<WriteResult, FsError> {
    write_with(
        path,
        data,
        &WriteOptions {
            mode: WriteMode::CreateNew,
            expected_digest: None,
        },
    )
}

/// Compare-and-swap: write `data` to `path` only if its current content has
/// the digest `expected` (from [`content_digest`] or a previous
/// [`WriteResult::digest`]), or, with `expected = None`, only if the file
/// does not exist yet (`expected-digest` [`ABSENT`]).
///
/// On a mismatch it fails with [`ErrorCode::Conflict`] and changes nothing:
/// read again, redo the change, retry.
pub fn write_if_unchanged(
    path: &str,
    data: impl AsRef<[u8]>,
    expected: Option<&str>,
) -> Result<WriteResult, FsError> {
    write_with(
        path,
        data,
        &WriteOptions {
            mode: WriteMode::CreateOrReplace,
            expected_digest: Some(expected.unwrap_or(ABSENT).to_owned()),
        },
    )
}

// ---------------------------------------------------------------------------
// Paged reading.

/// Read the whole file, paging with offsets until the host says it is not
/// truncated.
///
/// Writes replace files atomically, so a page never mixes two versions, but
/// two pages can come from two versions. If the file's size changes between
/// pages (or the host reports something inconsistent that would make paging
/// loop forever), this fails with [`ErrorCode::Conflict`]: read again. A
/// replacement with a same-sized file between pages cannot be detected;
/// use [`content_digest`] + [`write_if_unchanged`] when that matters.
///
/// Every page counts against the invocation's read budget
/// ([`ErrorCode::LimitExceeded`] once spent).
pub fn read_to_bytes(path: &str) -> Result<Vec<u8>, FsError> {
    let mut reader = Reader::new(path);
    let mut out = Vec::new();
    loop {
        let page = reader.fill_page()?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend_from_slice(page);
        let consumed = page.len();
        io::BufRead::consume(&mut reader, consumed);
    }
}

/// Read the whole file as UTF-8 text, like [`read_to_bytes`].
///
/// Content that is not valid UTF-8 fails with [`ErrorCode::Io`] and a
/// message naming the byte offset (the same choice as `std`, whose
/// `read_to_string` fails with an `io::Error` of kind `InvalidData`). Use
/// [`read_to_bytes`] with [`String::from_utf8_lossy`] to accept any bytes.
pub fn read_to_string(path: &str) -> Result<String, FsError> {
    String::from_utf8(read_to_bytes(path)?).map_err(|e| {
        FsError::new(
            ErrorCode::Io,
            format!(
                "the file is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

mod list;
mod reader;

pub use list::{ListIter, list};
pub use reader::Reader;

#[cfg(test)]
mod tests;
