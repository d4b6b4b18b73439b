//! Small durable-file helpers shared by every store in the crate (compile
//! cache, worker records, package output): atomic whole-file replacement
//! and collision-free temporary names.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Replaces `path` with `bytes` atomically: a temp file in the same
/// directory is written, fsynced and renamed over `path`, then the
/// directory is fsynced. Readers see the old or the new content.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
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
    crate::identity::sha256_hex(seed.as_bytes())[..16].to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn suffixes_differ_and_writes_replace() {
        assert_ne!(super::unique_suffix(), super::unique_suffix());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        super::write_file(&path, b"one").unwrap();
        super::write_file(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
