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

/// A compile cache in one directory.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
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
    pub fn new(dir: PathBuf) -> Self {
        CompileCache { dir }
    }

    fn entry_path(&self, engine: &Engine, component: &Digest) -> PathBuf {
        let mut hasher = Sha256Hasher(sha2::Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = hex::encode(&hasher.0.finalize()[..8]);
        self.dir.join(format!("{component}-{engine_key}.cwasm"))
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
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(err) => {
                    tracing::warn!(target: "yoi_plugin_host::cache", error = %err, "unusable cache entry; recompiling")
                }
            }
        }
        let component = compile()?;
        if let Some(dir) = path.parent() {
            let _ = crate::durable::create_private_dir(dir);
        }
        if let Err(err) = crate::durable::write_file(&path, &component.serialize()?) {
            tracing::warn!(target: "yoi_plugin_host::cache", kind = ?err.kind(), "could not store compiled component");
        }
        Ok((component, CacheOutcome::Miss))
    }
}
