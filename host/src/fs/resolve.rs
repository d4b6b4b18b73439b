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
//! The code of a failed step is decided by [`classify`]: `ELOOP` from an
//! `O_NOFOLLOW` open of one segment can only mean that segment was a
//! symlink, so it is `symlink` without a further look. Any other failure
//! is followed by a type lookup of the segment (without following it), only
//! to pick the code; it never grants access. When that lookup finds the very
//! type the open wanted (the entry was swapped between the open and the
//! lookup), the open is retried, at most [`OPEN_ATTEMPTS`] times in all;
//! an entry still changing after that is reported as `symlink`, the code of
//! a concurrent swap (spec §7.3).

use std::io;

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt};
use cap_std::fs::{Dir, File, Metadata, OpenOptions, OpenOptionsExt};

use super::error::{FsError, FsErrorCode};

/// Opens the directory reached by `segments` beneath `root` (a fresh handle
/// to `root` itself when `segments` is empty).
pub(crate) fn open_dir(root: &Dir, segments: &[String], guest: &str) -> Result<Dir, FsError> {
    let mut dir = root.try_clone().map_err(|e| FsError::from_io(&e, guest))?;
    for segment in segments {
        dir = open_segment(&dir, segment, guest, Want::Directory, || {
            dir.open_dir_nofollow(segment)
        })?;
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
    let file = open_segment(dir, name, guest, Want::File, || {
        dir.open_with(name, &options)
    })?;
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

/// How many times one segment is opened before a type that keeps changing
/// under the host is reported as `symlink`.
pub(crate) const OPEN_ATTEMPTS: usize = 3;

#[derive(Clone, Copy, Debug)]
enum Want {
    Directory,
    File,
}

/// The outcome of [`classify`]: a code, or "the entry changed type between
/// the open and the lookup" (open it again).
#[derive(Debug)]
enum Failure {
    Code(FsError),
    Changed,
}

/// Runs `open` on `name` in `dir`, classifying each failure and retrying an
/// entry that changed type under the host (see the module doc).
fn open_segment<T>(
    dir: &Dir,
    name: &str,
    guest: &str,
    want: Want,
    mut open: impl FnMut() -> io::Result<T>,
) -> Result<T, FsError> {
    for _ in 0..OPEN_ATTEMPTS {
        match open() {
            Ok(opened) => return Ok(opened),
            Err(err) => match classify(dir, name, &err, guest, want) {
                Failure::Code(code) => return Err(code),
                Failure::Changed => continue,
            },
        }
    }
    Err(symlink_error(guest))
}

fn symlink_error(guest: &str) -> FsError {
    FsError::new(
        FsErrorCode::Symlink,
        "symlinks are not followed",
        Some(guest),
    )
}

/// Picks the error code for a failed `O_NOFOLLOW` open of `name` in `dir`.
/// The one rule for the codes of a failed resolution step.
fn classify(dir: &Dir, name: &str, err: &io::Error, guest: &str, want: Want) -> Failure {
    if err.kind() == io::ErrorKind::NotFound {
        return Failure::Code(FsError::new(
            FsErrorCode::NotFound,
            "no such file or directory",
            Some(guest),
        ));
    }
    // O_NOFOLLOW on a single segment: ELOOP means that segment was a
    // symlink when it was opened, whatever it is by now.
    if err.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        return Failure::Code(symlink_error(guest));
    }
    let code = |code, what| Failure::Code(FsError::new(code, what, Some(guest)));
    match dir.symlink_metadata(name) {
        Ok(meta) if meta.is_symlink() => Failure::Code(symlink_error(guest)),
        Ok(meta) => match want {
            Want::Directory if !meta.is_dir() => {
                code(FsErrorCode::NotADirectory, "not a directory")
            }
            Want::File if !meta.is_file() => code(FsErrorCode::NotAFile, "not a regular file"),
            // ENOTDIR for a segment that is a directory now: it was not
            // one when opened, so it was swapped; open it again.
            Want::Directory if err.kind() == io::ErrorKind::NotADirectory => Failure::Changed,
            _ => Failure::Code(FsError::from_io(err, guest)),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            code(FsErrorCode::NotFound, "no such file or directory")
        }
        Err(_) => Failure::Code(FsError::from_io(err, guest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;

    fn fixture() -> (tempfile::TempDir, Dir) {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir(temp.path().join("d")).unwrap();
        std::fs::write(temp.path().join("f"), "x").unwrap();
        std::os::unix::fs::symlink("d", temp.path().join("ld")).unwrap();
        std::os::unix::fs::symlink("f", temp.path().join("lf")).unwrap();
        let dir = Dir::open_ambient_dir(temp.path(), ambient_authority()).unwrap();
        (temp, dir)
    }

    fn errno(e: rustix::io::Errno) -> io::Error {
        io::Error::from_raw_os_error(e.raw_os_error())
    }

    fn code<T>(r: Result<T, FsError>) -> FsErrorCode {
        r.err().expect("must fail").code
    }

    #[test]
    fn real_entries_get_their_codes() {
        let (_t, dir) = fixture();
        let seg = |s: &str| vec![s.to_owned()];
        assert_eq!(
            code(open_dir(&dir, &seg("ld"), "m/ld")),
            FsErrorCode::Symlink
        );
        assert_eq!(code(open_file(&dir, "lf", "m/lf")), FsErrorCode::Symlink);
        assert_eq!(
            code(open_dir(&dir, &seg("f"), "m/f")),
            FsErrorCode::NotADirectory
        );
        assert_eq!(
            code(open_dir(&dir, &seg("no"), "m/no")),
            FsErrorCode::NotFound
        );
        assert_eq!(code(open_file(&dir, "d", "m/d")), FsErrorCode::NotAFile);
        assert!(open_dir(&dir, &seg("d"), "m/d").is_ok());
        assert!(open_file(&dir, "f", "m/f").is_ok());
    }

    /// A file swapped for a symlink and back: the open saw the symlink
    /// (ELOOP), the lookup afterwards sees a regular file. Was `io`.
    #[test]
    fn eloop_is_symlink_whatever_the_entry_is_now() {
        let (_t, dir) = fixture();
        let r = open_segment(&dir, "f", "m/f", Want::File, || {
            Err::<(), _>(errno(rustix::io::Errno::LOOP))
        });
        assert_eq!(code(r), FsErrorCode::Symlink);
    }

    /// A directory swapped for a symlink and back: the open saw a
    /// non-directory (ENOTDIR), the lookup sees a directory. Was
    /// `not-a-directory`; now the open is retried, and an entry that keeps
    /// changing is `symlink`.
    #[test]
    fn a_directory_that_changes_under_the_open_is_retried_then_symlink() {
        let (_t, dir) = fixture();
        let mut attempts = 0;
        let r = open_segment(&dir, "d", "m/d", Want::Directory, || {
            attempts += 1;
            Err::<(), _>(errno(rustix::io::Errno::NOTDIR))
        });
        assert_eq!(code(r), FsErrorCode::Symlink);
        assert_eq!(attempts, OPEN_ATTEMPTS);
        let mut attempts = 0;
        let r = open_segment(&dir, "d", "m/d", Want::Directory, || {
            attempts += 1;
            match attempts {
                1 => Err(errno(rustix::io::Errno::NOTDIR)),
                _ => dir.open_dir_nofollow("d"),
            }
        });
        assert!(r.is_ok());
        // A segment that vanished between the open and the lookup.
        let r = open_segment(&dir, "gone", "m/gone", Want::Directory, || {
            Err::<(), _>(errno(rustix::io::Errno::NOTDIR))
        });
        assert_eq!(code(r), FsErrorCode::NotFound);
    }
}
