//! Atomic, serialised writes.
//!
//! A write takes the target's lock in the shared [`LockRegistry`], checks
//! mode and compare-and-swap against the current content, writes a temp file
//! (`.yoi-tmp-…`, invisible to guests) in the target's directory, fsyncs it,
//! renames it over the target (or hard-links it for `create-new`, which
//! cannot replace), and fsyncs the directory. A crash at any point leaves the
//! old content or the new content, never a torn file; at worst a stray temp
//! file remains, which guests can neither see nor name.

use std::io::{self, Read, Write};

use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt};
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use sha2::{Digest, Sha256};

use super::error::{FsError, FsErrorCode};
use super::locks::LockRegistry;
use super::path::{GuestPath, TEMP_PREFIX};
use super::{WriteMode, WriteOptions, WriteOutput, resolve};
use crate::grant::Grant;

/// The `expected_digest` value meaning "the target must not exist".
pub const ABSENT: &str = "absent";

/// Charges bytes the host reads on the guest's behalf (the compare-and-swap
/// hash) to the invocation's read budget, and checks the call's deadline.
pub(super) type Spend<'a> = &'a mut dyn FnMut(u64) -> Result<(), FsError>;

pub(super) fn write_atomic(
    grant: &Grant,
    locks: &LockRegistry,
    gp: &GuestPath,
    guest: &str,
    data: &[u8],
    options: &WriteOptions,
    spend: Spend<'_>,
) -> Result<WriteOutput, FsError> {
    let Some((parents, name)) = gp.split_last() else {
        return Err(FsError::new(
            FsErrorCode::NotAFile,
            "a mount root is a directory",
            Some(guest),
        ));
    };
    if let Some(expected) = options.expected_digest.as_deref()
        && expected != ABSENT
        && crate::names::Digest::parse(expected).is_err()
    {
        return Err(FsError::new(
            FsErrorCode::Conflict,
            "expected digest must be 64 lowercase hex or 'absent'",
            None,
        ));
    }
    let dir = resolve::open_dir(grant.dir(), parents, guest)?;
    let _guard = locks.lock(&grant.lock_key(&gp.inner()));

    let existing = resolve::lstat(&dir, name, guest)?;
    let permissions = match &existing {
        Some(meta) if meta.is_symlink() => {
            return Err(FsError::new(
                FsErrorCode::Symlink,
                "symlinks are not followed",
                Some(guest),
            ));
        }
        Some(meta) if !meta.is_file() => {
            return Err(FsError::new(
                FsErrorCode::NotAFile,
                "not a regular file",
                Some(guest),
            ));
        }
        Some(meta) => Some(meta.permissions()),
        None => None,
    };
    let current_size = existing.as_ref().map_or(0, |m| m.len());
    match (options.mode, existing.is_some()) {
        (WriteMode::CreateNew, true) => {
            return Err(FsError::new(
                FsErrorCode::AlreadyExists,
                "already exists",
                Some(guest),
            ));
        }
        (WriteMode::ReplaceExisting, false) => {
            return Err(FsError::new(
                FsErrorCode::NotFound,
                "no such file",
                Some(guest),
            ));
        }
        _ => {}
    }
    if let Some(expected) = options.expected_digest.as_deref() {
        let conflict = || {
            FsError::new(
                FsErrorCode::Conflict,
                "content changed since it was read",
                Some(guest),
            )
        };
        match (expected, existing.is_some()) {
            (ABSENT, false) => {}
            (ABSENT, true) | (_, false) => return Err(conflict()),
            (digest, true) => {
                // Fail fast: a file the guest could not have written whole
                // is not hashed (the hash is bounded by the write bound).
                if current_size > u64::from(grant.bounds().write_bytes) {
                    return Err(FsError::new(
                        FsErrorCode::TooLarge,
                        "the current file is above the write bound; it cannot be compared",
                        Some(guest),
                    ));
                }
                if current_digest(&dir, name, guest, spend)? != digest {
                    return Err(conflict());
                }
            }
        }
    }

    let temp = temp_name();
    let staged = stage(&dir, &temp, data, permissions)
        .and_then(|()| commit(&dir, &temp, name, options.mode));
    if let Err(err) = staged {
        let _ = dir.remove_file(&temp);
        return Err(match err.kind() {
            io::ErrorKind::AlreadyExists => {
                FsError::new(FsErrorCode::AlreadyExists, "already exists", Some(guest))
            }
            _ => FsError::from_io(&err, guest),
        });
    }
    crate::durable::sync_dir_handle(&dir).map_err(|e| FsError::from_io(&e, guest))?;
    sweep_stale_temps(&dir);
    Ok(WriteOutput {
        size: data.len() as u64,
        digest: hex::encode(Sha256::digest(data)),
    })
}

/// Writes and fsyncs the temp file.
fn stage(
    dir: &Dir,
    temp: &str,
    data: &[u8],
    permissions: Option<cap_std::fs::Permissions>,
) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .follow(FollowSymlinks::No);
    options.mode(0o644);
    let mut file = dir.open_with(temp, &options)?;
    if let Some(permissions) = permissions {
        file.set_permissions(permissions)?;
    }
    file.write_all(data)?;
    file.sync_all()
}

/// Moves the temp file into place.
fn commit(dir: &Dir, temp: &str, name: &str, mode: WriteMode) -> io::Result<()> {
    match mode {
        WriteMode::CreateNew => {
            // link(2) never replaces: a racing creator outside the host
            // loses nothing.
            dir.hard_link(temp, dir, name)?;
            dir.remove_file(temp)
        }
        WriteMode::CreateOrReplace | WriteMode::ReplaceExisting => dir.rename(temp, dir, name),
    }
}

/// SHA-256 of the current content, each chunk charged through `spend`
/// before it is read.
fn current_digest(dir: &Dir, name: &str, guest: &str, spend: Spend<'_>) -> Result<String, FsError> {
    const CHUNK: usize = 256 * 1024;
    let (file, _) = resolve::open_file(dir, name, guest)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut file = file;
    loop {
        spend(CHUNK as u64)?;
        let n = file
            .read(&mut buf)
            .map_err(|e| FsError::from_io(&e, guest))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// A temp file older than this has no live writer: a write happens inside
/// one call, and no call outlives [`crate::limits::MAX_CALL_TIMEOUT`].
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Most directory entries one sweep looks at (a sweep rides on a write and
/// must stay cheap; debris in larger directories goes over later writes).
const SWEEP_SCAN_LIMIT: usize = 1024;

/// Removes temp files left in `dir` by writers killed mid-write: only
/// `.yoi-tmp-*` regular files older than [`STALE_TEMP_AGE`], relative to
/// the directory handle, never following a symlink. Best effort: failures
/// are ignored (the next write tries again).
fn sweep_stale_temps(dir: &Dir) {
    let Ok(entries) = dir.entries() else {
        return;
    };
    for entry in entries.take(SWEEP_SCAN_LIMIT).flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|n| n.starts_with(TEMP_PREFIX)) else {
            continue;
        };
        let stale = entry.metadata().ok().is_some_and(|m| {
            m.is_file()
                && m.modified()
                    .ok()
                    .and_then(|t| t.into_std().elapsed().ok())
                    .is_some_and(|age| age > STALE_TEMP_AGE)
        });
        if stale {
            let _ = dir.remove_file(name);
        }
    }
}

fn temp_name() -> String {
    format!("{TEMP_PREFIX}{}", crate::durable::unique_suffix())
}
