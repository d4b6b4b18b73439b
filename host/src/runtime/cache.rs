//! The on-disk compile cache: a component is compiled once per engine
//! configuration and reused across processes.
//!
//! Entries are keyed by the SHA-256 of the component bytes plus a hash of
//! the engine's precompile-compatibility key (wasmtime version, target,
//! settings) fed through SHA-256, so a different engine never loads a stale artifact. The cache
//! directory is host-private trusted state: deserialising an artifact is
//! only sound for artifacts this host wrote, so it must not be writable by
//! plugins or other users. Entries are written atomically (temp + rename);
//! a corrupt or incompatible entry is recompiled and replaced.
//!
//! - **Bounded:** after each store, entries are evicted least recently used
//!   first (a hit refreshes an entry's modification time) until the total
//!   is within the cap; the entry just stored is kept.
//! - **Concurrent processes:** two processes compiling the same component
//!   each write a complete artifact under a unique temporary name and
//!   rename it into place; the last rename wins and both artifacts are
//!   valid. A reader reads the whole file into memory first, so an entry
//!   replaced or evicted under it is either read whole or missed.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use sha2::Digest as _;

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::names::Digest;

/// Feeds `Hash` output into SHA-256: a key that, unlike `DefaultHasher`,
/// does not change between Rust releases.
struct Sha256Hasher(sha2::Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        0 // never read: only the SHA-256 state is
    }
}

/// Default cap on the compile cache's total size.
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// Suffix of cache entries; nothing else in the directory is touched.
const ENTRY_SUFFIX: &str = ".cwasm";

/// A compile cache in one directory.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
    max_bytes: u64,
}

/// Whether a load was served from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheOutcome {
    /// No cache configured.
    Disabled,
    /// Loaded a precompiled artifact.
    Hit,
    /// Compiled and stored.
    Miss,
}

impl CompileCache {
    pub fn new(dir: PathBuf, max_bytes: u64) -> Self {
        CompileCache { dir, max_bytes }
    }

    fn entry_path(&self, engine: &Engine, component: &Digest) -> PathBuf {
        let mut hasher = Sha256Hasher(sha2::Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = hex::encode(&hasher.0.finalize()[..8]);
        self.dir
            .join(format!("{component}-{engine_key}{ENTRY_SUFFIX}"))
    }

    /// Loads the compiled component for `digest`, compiling with `compile`
    /// and storing the result on a miss.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        digest: &Digest,
        compile: impl FnOnce() -> wasmtime::Result<Component>,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.entry_path(engine, digest);
        // Read into memory rather than mmap the file: a cache file truncated
        // or rewritten in place by someone else must not be able to crash the
        // host (SIGBUS on a mapped page).
        if let Ok(artifact) = std::fs::read(&path) {
            // SAFETY: the cache directory is host-private trusted state (see
            // module docs) and entries are keyed by engine compatibility;
            // wasmtime additionally verifies the artifact header.
            match unsafe { Component::deserialize(engine, &artifact) } {
                Ok(component) => {
                    touch(&path);
                    return Ok((component, CacheOutcome::Hit));
                }
                Err(err) => {
                    tracing::warn!(target: "yoi_plugin_host::cache", error = %err, "unusable cache entry; recompiling")
                }
            }
        }
        let component = compile()?;
        if let Some(dir) = path.parent() {
            let _ = crate::durable::create_private_dir(dir);
        }
        match crate::durable::write_file(&path, &component.serialize()?) {
            Ok(()) => self.evict(&path),
            Err(err) => {
                tracing::warn!(target: "yoi_plugin_host::cache", kind = ?err.kind(), "could not store compiled component")
            }
        }
        Ok((component, CacheOutcome::Miss))
    }

    /// Evicts least recently used entries until the total fits the cap,
    /// never `keep` (the entry just stored). Best effort: an entry another
    /// process removed first is simply gone.
    fn evict(&self, keep: &std::path::Path) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = dir
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(ENTRY_SUFFIX))
            .filter_map(|e| {
                let meta = e.metadata().ok().filter(|m| m.is_file())?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if path != keep && std::fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    }
}

/// Marks an entry as just used (its modification time is the LRU clock).
fn touch(path: &std::path::Path) {
    let now = std::time::SystemTime::now();
    if let Ok(file) = std::fs::File::options().write(true).open(path) {
        let _ = file.set_modified(now);
    }
}
