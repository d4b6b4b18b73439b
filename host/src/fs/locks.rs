//! The write-lock registry: writes to one target are serialised.
//!
//! Keys are host-side target paths built from a grant's canonical root plus
//! the normalised guest path, so every spelling of one file maps to one key.
//! The host's own file tools (an agent's Write/Edit) share the registry via
//! [`crate::PluginHost::locks`]: they lock the canonical absolute path of the
//! file they change, and plugin writes to that file wait for them (and vice
//! versa). Keys never leave the host process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RawMutex, lock_api::ArcMutexGuard};

/// A registry of per-target write locks, shared by plugin writes and host
/// file tools.
#[derive(Debug, Default)]
pub struct LockRegistry {
    locks: Mutex<HashMap<PathBuf, Weak<Mutex<()>>>>,
}

/// Held while a target is being written; dropping it releases the target.
#[must_use = "the lock is released when the guard is dropped"]
pub struct WriteGuard {
    _guard: ArcMutexGuard<RawMutex, ()>,
}

impl std::fmt::Debug for WriteGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteGuard")
    }
}

impl LockRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks until the lock for `target` (a canonical absolute host path)
    /// is free, then holds it until the guard is dropped.
    pub fn lock(&self, target: &Path) -> WriteGuard {
        let entry = {
            let mut map = self.locks.lock();
            if let Some(existing) = map.get(target).and_then(Weak::upgrade) {
                existing
            } else {
                if map.len() >= 64 {
                    map.retain(|_, weak| weak.strong_count() > 0);
                }
                let fresh = Arc::new(Mutex::new(()));
                map.insert(target.to_path_buf(), Arc::downgrade(&fresh));
                fresh
            }
        };
        WriteGuard {
            _guard: entry.lock_arc(),
        }
    }

    /// Number of targets currently tracked (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.locks
            .lock()
            .values()
            .filter(|w| w.strong_count() > 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_writer_per_target() {
        let registry = Arc::new(LockRegistry::new());
        let inside = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let registry = registry.clone();
                let inside = inside.clone();
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        let _g = registry.lock(Path::new("/m/a"));
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(registry.tracked(), 0);
    }

    #[test]
    fn distinct_targets_do_not_block() {
        let registry = LockRegistry::new();
        let _a = registry.lock(Path::new("/m/a"));
        let _b = registry.lock(Path::new("/m/b"));
        assert_eq!(registry.tracked(), 2);
    }
}
