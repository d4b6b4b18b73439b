//! Durable files: the one atomic-write helper and the one `sync_dir` every
//! store of the crate uses (plugin store pointers, bundle store, worker
//! records, the compile cache).
//!
//! Protocol of [`write_file`]: a temp file in the target's directory is
//! written and fsynced, renamed over the target, and the directory is
//! fsynced. Readers see the old or the new content, never a mix; a crash
//! leaves at most a stray temp file (named `.tmp-*`), never a torn target.
//!
//! (Guest writes through the `fs` host API follow the same protocol
//! relative to a directory *handle* in `fs/write.rs`; they cannot take a
//! host path, so they use [`sync_dir_handle`].)

use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// How [`write_file`] treats an existing target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Replace whatever is there.
    Always,
    /// Fail with `AlreadyExists` if the target exists (link, never replace).
    Never,
}

/// Replaces (or creates) `path` with `bytes` atomically and durably.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_file_with(path, bytes, Replace::Always)
}

/// [`write_file`] with an explicit [`Replace`] rule.
pub fn write_file_with(path: &Path, bytes: &[u8], replace: Replace) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    match replace {
        Replace::Always => temp.persist(path).map(drop).map_err(|e| e.error)?,
        Replace::Never => temp
            .persist_noclobber(path)
            .map(drop)
            .map_err(|e| e.error)?,
    }
    sync_dir(dir)
}

/// Creates `dir` and its missing parents, each new one private to the host
/// user (0700): stores and caches hold trusted host state.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// What [`read_regular`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Regular {
    /// Nothing at the path.
    Missing,
    /// A symlink, directory, FIFO or other non-regular file (not followed,
    /// not read).
    Special,
    /// A regular file above the bound.
    TooLarge,
    /// The content of a regular file.
    Bytes(Vec<u8>),
}

/// Reads a regular file of at most `max` bytes through one handle: opened
/// without following a final symlink and without blocking on a FIFO, then
/// checked with `fstat` on that same handle — no path-based
/// `lstat`-then-`open` window.
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<Regular> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Regular::Missing),
        // ELOOP: the final component is a symlink.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Ok(Regular::Special);
        }
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Regular::Special);
    }
    if meta.len() > max {
        return Ok(Regular::TooLarge);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(Regular::TooLarge);
    }
    Ok(Regular::Bytes(bytes))
}

/// Fsyncs the directory at `dir`, so a rename or create in it is durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Fsyncs a directory given as a handle (cap-std handles may be `O_PATH`,
/// which cannot be fsynced, so `.` is opened beneath it, never following a
/// symlink).
pub fn sync_dir_handle(dir: impl AsFd) -> std::io::Result<()> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )?;
    rustix::fs::fsync(&fd)?;
    Ok(())
}

/// 16 lowercase hex characters unique to this call (process id, a
/// process-wide counter and the time, hashed): for temp-file names and ids.
/// Not a secret and not a capability.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!(
        "{}:{}:{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    crate::names::Digest::of(seed.as_bytes()).as_str()[..16].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_differ_and_writes_replace() {
        assert_ne!(unique_suffix(), unique_suffix());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_file(&path, b"one").unwrap();
        write_file(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let err = write_file_with(&path, b"three", Replace::Never).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn read_regular_never_follows_or_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"12345").unwrap();
        assert_eq!(
            read_regular(&file, 5).unwrap(),
            Regular::Bytes(b"12345".to_vec())
        );
        assert_eq!(read_regular(&file, 4).unwrap(), Regular::TooLarge);
        assert_eq!(
            read_regular(&dir.path().join("none"), 5).unwrap(),
            Regular::Missing
        );
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_regular(&link, 5).unwrap(), Regular::Special);
        assert_eq!(read_regular(dir.path(), 5).unwrap(), Regular::Special);
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert_eq!(read_regular(&fifo, 5).unwrap(), Regular::Special);
    }
}
