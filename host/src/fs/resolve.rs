//! Where path safety is enforced on disk: race-free resolution beneath a
//! mount's directory handle.
//!
//! Every open walks the parsed guest path one segment at a time, each step an
//! `openat` relative to the directory handle of the previous step with
//! `O_NOFOLLOW` (via cap-std, which additionally confines every call beneath
//! its handle). No step follows a symlink: a symlink anywhere on the path is
//! the `symlink` error. There is no "canonicalise, check the prefix, then
//! open by path" anywhere, so a concurrent swap of a directory for a symlink
//! can make an open fail but can never make it land outside the mount.
//!
//! The kind of a failed step (symlink, not-a-directory, …) is looked up
//! after the failure, only to pick an error code; it never grants access.

use std::io;

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt};
use cap_std::fs::{Dir, File, Metadata, OpenOptions, OpenOptionsExt};

use super::error::{FsError, FsErrorCode};

/// Opens the directory reached by `segments` beneath `root` (a fresh handle
/// to `root` itself when `segments` is empty).
pub(crate) fn open_dir(root: &Dir, segments: &[String], guest: &str) -> Result<Dir, FsError> {
    let mut dir = root.try_clone().map_err(|e| FsError::from_io(&e, guest))?;
    for segment in segments {
        dir = match dir.open_dir_nofollow(segment) {
            Ok(next) => next,
            Err(err) => return Err(classify(&dir, segment, &err, guest, Want::Directory)),
        };
    }
    Ok(dir)
}

/// Opens the regular file `name` in `dir` for reading, without following a
/// symlink and without blocking on FIFOs or devices. Returns the file and its
/// metadata (taken from the open handle, not the name).
pub(crate) fn open_file(dir: &Dir, name: &str, guest: &str) -> Result<(File, Metadata), FsError> {
    let mut options = OpenOptions::new();
    options.read(true);
    options.follow(FollowSymlinks::No);
    // O_NONBLOCK: opening a FIFO must not hang the host thread.
    options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    let file = dir
        .open_with(name, &options)
        .map_err(|err| classify(dir, name, &err, guest, Want::File))?;
    let meta = file.metadata().map_err(|e| FsError::from_io(&e, guest))?;
    if !meta.is_file() {
        return Err(FsError::new(
            FsErrorCode::NotAFile,
            "not a regular file",
            Some(guest),
        ));
    }
    Ok((file, meta))
}

/// Metadata of `name` in `dir`, not following symlinks; `None` if absent.
pub(crate) fn lstat(dir: &Dir, name: &str, guest: &str) -> Result<Option<Metadata>, FsError> {
    match dir.symlink_metadata(name) {
        Ok(meta) => Ok(Some(meta)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(FsError::from_io(&err, guest)),
    }
}

#[derive(Clone, Copy)]
enum Want {
    Directory,
    File,
}

/// Picks the error code for a failed open of `name` in `dir`.
fn classify(dir: &Dir, name: &str, err: &io::Error, guest: &str, want: Want) -> FsError {
    if err.kind() == io::ErrorKind::NotFound {
        return FsError::new(
            FsErrorCode::NotFound,
            "no such file or directory",
            Some(guest),
        );
    }
    match dir.symlink_metadata(name) {
        Ok(meta) if meta.is_symlink() => FsError::new(
            FsErrorCode::Symlink,
            "symlinks are not followed",
            Some(guest),
        ),
        Ok(meta) if matches!(want, Want::Directory) && !meta.is_dir() => {
            FsError::new(FsErrorCode::NotADirectory, "not a directory", Some(guest))
        }
        Ok(meta) if matches!(want, Want::File) && !meta.is_file() => {
            FsError::new(FsErrorCode::NotAFile, "not a regular file", Some(guest))
        }
        _ => FsError::from_io(err, guest),
    }
}
