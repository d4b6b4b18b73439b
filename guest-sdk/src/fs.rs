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

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::iter::FusedIterator;

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

/// A sequential reader of one file that fetches pages on demand.
///
/// Implements [`io::Read`] and [`io::BufRead`], so `read_until`, `lines`
/// and `split` work across page boundaries; their [`io::Error`]s wrap an
/// [`FsError`], which `FsError::from(io_error)` recovers. The same
/// consistency rule as [`read_to_bytes`] applies: a size change between
/// pages fails with [`ErrorCode::Conflict`].
///
/// ```no_run
/// use std::io::BufRead;
/// use yoi_plugin_sdk::fs::{FsError, Reader};
///
/// let mut reader = Reader::new("logs/app.log");
/// let mut line = Vec::new();
/// let mut count = 0;
/// while reader.read_until(b'\n', &mut line).map_err(FsError::from)? > 0 {
///     count += 1;
///     line.clear();
/// }
/// # Ok::<(), FsError>(())
/// ```
#[derive(Debug)]
pub struct Reader {
    path: String,
    /// File offset just past the current page.
    offset: u64,
    page: Vec<u8>,
    /// How much of `page` has been consumed.
    pos: usize,
    /// The file size reported by the first page.
    size: Option<u64>,
    /// The current page is the last one.
    eof: bool,
}

impl Reader {
    /// A reader of `path` positioned at its start. Nothing is read until the
    /// first read call.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            offset: 0,
            page: Vec::new(),
            pos: 0,
            size: None,
            eof: false,
        }
    }

    /// The path being read.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file's size as reported by the first page; `None` before it.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The unread rest of the current page, fetching the next page when the
    /// current one is used up. Empty means end of file. Mark bytes as used
    /// with [`io::BufRead::consume`].
    pub fn fill_page(&mut self) -> Result<&[u8], FsError> {
        if self.pos == self.page.len() && !self.eof {
            self.fetch()?;
        }
        Ok(&self.page[self.pos..])
    }

    fn fetch(&mut self) -> Result<(), FsError> {
        let page = read(&self.path, self.offset, PAGE_REQUEST)?;
        self.accept(page)
    }

    /// Take `page` (read at `self.offset`) as the next page, unless it is
    /// inconsistent with what was read so far.
    fn accept(&mut self, page: ReadResult) -> Result<(), FsError> {
        let size = *self.size.get_or_insert(page.size);
        let end = u64::try_from(page.data.len())
            .ok()
            .and_then(|len| self.offset.checked_add(len));
        let consistent = page.size == size
            && end.is_some_and(|end| end <= size)
            && if page.truncated {
                !page.data.is_empty()
            } else {
                end == Some(size)
            };
        if !consistent {
            return Err(FsError::new(
                ErrorCode::Conflict,
                "the file changed while it was being read; read it again",
            ));
        }
        self.offset = end.unwrap_or(size);
        self.page = page.data;
        self.pos = 0;
        self.eof = !page.truncated;
        Ok(())
    }
}

impl io::Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let page = self.fill_page().map_err(io::Error::other)?;
        let n = page.len().min(buf.len());
        buf[..n].copy_from_slice(&page[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl io::BufRead for Reader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.fill_page().map_err(io::Error::other)
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.page.len());
    }
}

// ---------------------------------------------------------------------------
// Paged listing.

/// Iterate over all entries of the directory `path`, in name order,
/// following the host's cursors page by page.
///
/// Each page is one host call, fetched when the previous one is used up.
/// The first error (including a host that repeats a cursor, which would
/// loop forever) is yielded once and ends the iteration.
///
/// ```no_run
/// use yoi_plugin_sdk::fs::{self, EntryKind, FsError};
///
/// let mut files = Vec::new();
/// for entry in fs::list("notes") {
///     let entry = entry?;
///     if entry.kind == EntryKind::File {
///         files.push(entry.name);
///     }
/// }
/// # Ok::<(), FsError>(())
/// ```
pub fn list(path: &str) -> ListIter {
    ListIter {
        path: path.to_owned(),
        cursor: None,
        entries: VecDeque::new(),
        done: false,
    }
}

/// The iterator returned by [`list`].
#[derive(Debug)]
pub struct ListIter {
    path: String,
    cursor: Option<String>,
    entries: VecDeque<DirEntry>,
    done: bool,
}

impl Iterator for ListIter {
    type Item = Result<DirEntry, FsError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.entries.pop_front() {
                return Some(Ok(entry));
            }
            if self.done {
                return None;
            }
            let page = list_page(&self.path, self.cursor.as_deref(), PAGE_REQUEST);
            if let Err(e) = page.and_then(|page| self.accept(page)) {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

impl ListIter {
    /// Take `page` (listed after `self.cursor`) as the next page.
    fn accept(&mut self, page: ListPage) -> Result<(), FsError> {
        if page.next_cursor.is_some() && page.next_cursor == self.cursor {
            return Err(FsError::new(
                ErrorCode::Io,
                "the host returned the same list cursor twice",
            ));
        }
        self.entries.extend(page.entries);
        self.done = page.next_cursor.is_none();
        self.cursor = page.next_cursor;
        Ok(())
    }
}

impl FusedIterator for ListIter {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_lowercase_sha256_hex() {
        assert_eq!(
            content_digest(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            content_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn codes_display_and_serialize_in_kebab_case() {
        let all = [
            ErrorCode::Denied,
            ErrorCode::NotFound,
            ErrorCode::InvalidPath,
            ErrorCode::TooLarge,
            ErrorCode::NotAFile,
            ErrorCode::NotADirectory,
            ErrorCode::AlreadyExists,
            ErrorCode::Conflict,
            ErrorCode::Symlink,
            ErrorCode::LimitExceeded,
            ErrorCode::Io,
        ];
        for code in all {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{code}\""));
        }
        assert_eq!(ErrorCode::NotAFile.to_string(), "not-a-file");
        for kind in [
            EntryKind::File,
            EntryKind::Directory,
            EntryKind::Symlink,
            EntryKind::Other,
        ] {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
        }
        for mode in [
            WriteMode::CreateOrReplace,
            WriteMode::CreateNew,
            WriteMode::ReplaceExisting,
        ] {
            let json = format!("\"{mode}\"");
            assert_eq!(serde_json::to_string(&mode).unwrap(), json);
            assert_eq!(serde_json::from_str::<WriteMode>(&json).unwrap(), mode);
        }
    }

    #[test]
    fn fs_error_displays_code_and_message_and_survives_io_errors() {
        let err = FsError::new(ErrorCode::NotFound, "no such file");
        assert_eq!(err.to_string(), "not-found: no such file");
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({"code": "not-found", "message": "no such file"})
        );
        assert_eq!(FsError::from(io::Error::other(err.clone())), err);
        let other = FsError::from(io::Error::other("disk on fire"));
        assert_eq!(other.code, ErrorCode::Io);
    }

    #[test]
    fn entries_serialize_with_kebab_kinds() {
        let entry = DirEntry {
            name: "a.md".into(),
            kind: EntryKind::File,
            size: 3,
        };
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            serde_json::json!({"name": "a.md", "kind": "file", "size": 3})
        );
    }

    fn page(data: &[u8], size: u64, truncated: bool) -> ReadResult {
        ReadResult {
            data: data.to_vec(),
            size,
            truncated,
        }
    }

    #[test]
    fn reader_pages_on_until_not_truncated() {
        let mut r = Reader::new("m/f");
        r.accept(page(b"hel", 5, true)).unwrap();
        assert_eq!(r.fill_page().unwrap(), b"hel");
        io::BufRead::consume(&mut r, 3);
        assert_eq!(r.offset, 3);
        r.accept(page(b"lo", 5, false)).unwrap();
        assert_eq!(r.fill_page().unwrap(), b"lo");
        io::BufRead::consume(&mut r, 2);
        // At end of file no further host call is made.
        assert_eq!(r.fill_page().unwrap(), b"");
        assert_eq!(r.size(), Some(5));
    }

    #[test]
    fn reader_rejects_pages_that_would_loop_or_mix_versions() {
        // The size changed between pages.
        let mut r = Reader::new("m/f");
        r.accept(page(b"abc", 6, true)).unwrap();
        let err = r.accept(page(b"def", 7, false)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        // No progress although more is claimed: would loop forever.
        let mut r = Reader::new("m/f");
        r.accept(page(b"abc", 6, true)).unwrap();
        assert_eq!(
            r.accept(page(b"", 6, true)).unwrap_err().code,
            ErrorCode::Conflict
        );
        // Claims the end, but short of the size.
        let mut r = Reader::new("m/f");
        assert_eq!(
            r.accept(page(b"ab", 6, false)).unwrap_err().code,
            ErrorCode::Conflict
        );
        // More data than the file has.
        let mut r = Reader::new("m/f");
        assert_eq!(
            r.accept(page(b"abcdefg", 6, true)).unwrap_err().code,
            ErrorCode::Conflict
        );
        // An empty file is fine.
        let mut r = Reader::new("m/f");
        r.accept(page(b"", 0, false)).unwrap();
        assert_eq!(r.fill_page().unwrap(), b"");
    }

    fn entry(name: &str) -> DirEntry {
        DirEntry {
            name: name.into(),
            kind: EntryKind::File,
            size: 0,
        }
    }

    #[test]
    fn list_iter_follows_cursors_and_stops_on_a_repeated_one() {
        let mut it = list("m");
        it.accept(ListPage {
            entries: vec![entry("a"), entry("b")],
            next_cursor: Some("b".into()),
        })
        .unwrap();
        assert_eq!(it.cursor.as_deref(), Some("b"));
        assert!(!it.done);
        let err = it
            .accept(ListPage {
                entries: vec![],
                next_cursor: Some("b".into()),
            })
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Io);
        it.accept(ListPage {
            entries: vec![entry("c")],
            next_cursor: None,
        })
        .unwrap();
        let names: Vec<_> = it.map(|e| e.unwrap().name).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn outside_a_host_fs_calls_fail_with_io() {
        assert_eq!(read_to_string("m/x").unwrap_err().code, ErrorCode::Io);
        let mut it = list("m");
        assert_eq!(it.next().unwrap().unwrap_err().code, ErrorCode::Io);
        assert!(it.next().is_none());
        assert_eq!(write("m/x", "y").unwrap_err().code, ErrorCode::Io);
    }
}
