//! The fs error type: a stable code plus a short, bounded, redacted message.
//!
//! Every message is built by the host from fixed text and, at most, a
//! redacted echo of the guest's own path (see [`crate::diag`]). No message
//! ever carries file content, a host-side path or an `io::Error`'s own text
//! (which may name host paths): I/O failures are reported by kind only.

use std::fmt;
use std::io;

use crate::diag;

/// Stable fs error codes. They cross the ABI (as the WIT `error-code` enum)
/// and appear in logs, so their string forms never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FsErrorCode {
    /// No grant covers this mount, operation or path.
    Denied,
    /// The path does not exist.
    NotFound,
    /// The path is malformed.
    InvalidPath,
    /// A request or result is above a bound.
    TooLarge,
    /// The path names something that is not a regular file.
    NotAFile,
    /// The path, or one of its parents, is not a directory.
    NotADirectory,
    /// `create-new` on a path that exists.
    AlreadyExists,
    /// Compare-and-swap failed.
    Conflict,
    /// A symlink was met on the path; symlinks are never followed.
    Symlink,
    /// A per-invocation total is used up.
    LimitExceeded,
    /// The host could not complete the operation.
    Io,
}

impl FsErrorCode {
    /// The stable kebab-case name of the code (as in the WIT).
    pub fn as_str(self) -> &'static str {
        match self {
            FsErrorCode::Denied => "denied",
            FsErrorCode::NotFound => "not-found",
            FsErrorCode::InvalidPath => "invalid-path",
            FsErrorCode::TooLarge => "too-large",
            FsErrorCode::NotAFile => "not-a-file",
            FsErrorCode::NotADirectory => "not-a-directory",
            FsErrorCode::AlreadyExists => "already-exists",
            FsErrorCode::Conflict => "conflict",
            FsErrorCode::Symlink => "symlink",
            FsErrorCode::LimitExceeded => "limit-exceeded",
            FsErrorCode::Io => "io",
        }
    }
}

impl fmt::Display for FsErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An fs operation failed. `message` is bounded and safe to show the guest,
/// log, or return to an API caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct FsError {
    /// The stable code.
    pub code: FsErrorCode,
    /// Safe, bounded diagnostic text.
    pub message: String,
}

impl FsError {
    /// An error whose message is `what`, followed by the redacted guest path
    /// when one is given. The result is capped at the diagnostic bound.
    pub fn new(code: FsErrorCode, what: &str, guest_path: Option<&str>) -> Self {
        let message = match guest_path {
            Some(path) => format!("{what}: '{}'", diag::redact_guest_path(path)),
            None => what.to_owned(),
        };
        FsError {
            code,
            message: diag::bound(&message, diag::MAX_DIAGNOSTIC_BYTES),
        }
    }

    /// Maps an I/O error to a code, reporting only the error's kind.
    pub(crate) fn from_io(err: &io::Error, guest_path: &str) -> Self {
        use io::ErrorKind as K;
        let (code, what) = match err.kind() {
            K::NotFound => (FsErrorCode::NotFound, "no such file or directory"),
            K::AlreadyExists => (FsErrorCode::AlreadyExists, "already exists"),
            K::NotADirectory => (FsErrorCode::NotADirectory, "not a directory"),
            K::IsADirectory => (FsErrorCode::NotAFile, "is a directory"),
            K::PermissionDenied => (FsErrorCode::Denied, "the host denied access"),
            K::InvalidFilename => (FsErrorCode::InvalidPath, "invalid file name"),
            K::FileTooLarge | K::StorageFull | K::QuotaExceeded => {
                (FsErrorCode::TooLarge, "no space for this write")
            }
            _ => (FsErrorCode::Io, "i/o error"),
        };
        FsError::new(code, what, Some(guest_path))
    }
}

impl From<crate::limits::BudgetExhausted> for FsError {
    fn from(e: crate::limits::BudgetExhausted) -> Self {
        FsError::new(FsErrorCode::LimitExceeded, e.describe(), None)
    }
}

impl crate::error::ErrorCode for FsError {
    fn code(&self) -> &'static str {
        self.code.as_str()
    }
}
