//! The plugin store: installed packages, atomically.
//!
//! Layout under the store root:
//!
//! ```text
//! packages/<digest>/          one validated package, content-addressed
//!     plugin.toml, <component>, README.md?, LICENSE?
//!     .complete               the digest; written last — no marker, no load
//! plugins/<source>/<name>.json  pointer: {"id","version","digest"}
//! .staging/                   work in progress (safe to delete when idle)
//! .lock                       serialises installs and removals (flock)
//! ```
//!
//! Install is **stage → mark → publish → snapshot previous → swap → GC**:
//! files are written and fsynced under `.staging/`, the `.complete` marker
//! is written last, the directory is renamed to `packages/<digest>`, the
//! previous pointer is remembered, a new pointer is written to a temp file
//! and renamed over the old one (the atomic switch), and the previous
//! package is garbage-collected if nothing else points to it (renamed away
//! first, so a half-deleted package is never under `packages/`). A crash at
//! any point leaves the pointer naming the old or the new complete package;
//! every failure before the swap rolls back by deleting staged files.
//!
//! Loading re-validates: the marker must name the digest, the files are
//! re-read (regular files only), re-validated as a package, and their digest
//! must equal the pointer's — a tampered package is a typed error.
//! Discovery ([`PluginStore::list`]) is inventory only: nothing is executed
//! or enabled by being in the store.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::durable::{self, sync_dir};
use crate::error::ErrorCode;
use crate::identity::PluginPin;
use crate::manifest::{MANIFEST_FILE, Manifest};
pub use crate::names::Source;
use crate::names::{Digest, PluginId};
use crate::package::{OPTIONAL_FILES, Package, PackageError, PackageFiles};
use crate::plugin::Plugin;
use crate::runtime::{LoadError, PluginHost};

const COMPLETE_MARKER: &str = ".complete";

/// Why a store operation failed. Messages never contain store paths.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Filesystem failure (kind only).
    #[error("store i/o error ({0})")]
    Io(std::io::ErrorKind),
    /// Malformed plugin id.
    #[error("invalid plugin id '{0}': use <source>:<name> with source builtin, user or project")]
    InvalidId(String),
    /// Nothing installed under that id.
    #[error("plugin '{0}' is not installed")]
    NotInstalled(String),
    /// The package directory has no (or a wrong) `.complete` marker.
    #[error("plugin '{0}' has an incomplete install (no .complete marker); reinstall it")]
    Incomplete(String),
    /// The installed files no longer match the recorded digest.
    #[error("plugin '{0}' was modified after install (digest mismatch); reinstall it")]
    Tampered(String),
    /// The installed version is not the enabled one.
    #[error("plugin '{id}' is installed at version {installed}, but version {wanted} is enabled")]
    VersionMismatch {
        /// Plugin id.
        id: String,
        /// Installed version.
        installed: String,
        /// Enabled version.
        wanted: String,
    },
    /// The installed digest is not the enabled one.
    #[error("plugin '{0}' is installed with a different digest than the one enabled")]
    DigestMismatch(String),
    /// The installed package fails validation.
    #[error("installed package invalid: {0}")]
    Package(#[from] PackageError),
    /// The component could not be loaded.
    #[error("cannot load plugin: {0}")]
    Load(#[from] LoadError),
    /// Another store operation held the lock past the lock timeout.
    #[error("the plugin store is busy (another install or removal holds its lock); try again")]
    Busy,
    /// A pointer file is corrupt.
    #[error("store metadata for '{0}' is corrupt")]
    Corrupt(String),
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Io(_) => "io",
            StoreError::InvalidId(_) => "invalid-id",
            StoreError::NotInstalled(_) => "not-installed",
            StoreError::Incomplete(_) => "incomplete-install",
            StoreError::Tampered(_) => "tampered",
            StoreError::VersionMismatch { .. } => "version-mismatch",
            StoreError::DigestMismatch(_) => "digest-mismatch",
            StoreError::Package(e) => e.code(),
            StoreError::Load(e) => e.code(),
            StoreError::Corrupt(_) => "corrupt",
            StoreError::Busy => "store-busy",
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e.kind())
    }
}

/// The steps of an install, reported to a hook (tests inject crashes here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallStep {
    /// Files written and fsynced under `.staging/`.
    Staged,
    /// `.complete` marker written.
    Marked,
    /// Package renamed into `packages/<digest>`.
    Published,
    /// Pointer switched to the new package.
    Swapped,
    /// Previous package collected (or nothing to collect).
    Collected,
}

impl InstallStep {
    /// Every step, in order.
    pub const ALL: [InstallStep; 5] = [
        InstallStep::Staged,
        InstallStep::Marked,
        InstallStep::Published,
        InstallStep::Swapped,
        InstallStep::Collected,
    ];
}

/// The result of an install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallOutcome {
    /// What is installed now.
    #[serde(flatten)]
    pub pin: PluginPin,
    /// The package digest this replaced, if any.
    pub previous: Option<Digest>,
}

/// A plugin store rooted in one directory.
#[derive(Debug, Clone)]
pub struct PluginStore {
    root: PathBuf,
    lock_timeout: Duration,
}

/// How long a store operation waits for another one holding the lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

impl PluginStore {
    /// Opens (creating if needed) a store.
    /// Opens (creating if needed, private to the host user: 0700) a store.
    /// Operations wait at most [`DEFAULT_LOCK_TIMEOUT`] for the store lock.
    pub fn open(root: impl Into<PathBuf>) -> Result<PluginStore, StoreError> {
        let root = root.into();
        for dir in ["packages", "plugins", ".staging"] {
            durable::create_private_dir(&root.join(dir))?;
        }
        Ok(PluginStore {
            root,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        })
    }

    /// The same store, waiting at most `timeout` for its lock
    /// (`store-busy` past it).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> PluginStore {
        self.lock_timeout = timeout;
        self
    }

    /// Installs a validated package under `source`.
    pub fn install(&self, package: &Package, source: Source) -> Result<InstallOutcome, StoreError> {
        self.install_with_hook(package, source, &mut |_| {})
    }

    /// Installs, reporting each completed step to `hook`.
    pub fn install_with_hook(
        &self,
        package: &Package,
        source: Source,
        hook: &mut dyn FnMut(InstallStep),
    ) -> Result<InstallOutcome, StoreError> {
        let id = PluginId::new(source, package.manifest.plugin_name());
        let _lock = self.lock()?;
        self.sweep_staging();
        let digest = &package.digest;
        let target = self.root.join("packages").join(digest.as_str());
        // Reuse an existing package only if it is complete *and* its files
        // still hash to the digest; anything else is moved away and restaged.
        let intact = self.verify_marker(&target, digest)
            && read_package(&target).is_ok_and(|p| p.digest == *digest);
        if intact {
            hook(InstallStep::Staged);
            hook(InstallStep::Marked);
        } else {
            if target.exists() {
                // A directory without a valid marker is never trusted or reused.
                let trash = self.temp_path("trash");
                std::fs::rename(&target, &trash)?;
                let _ = std::fs::remove_dir_all(&trash);
            }
            let staging = self.temp_path("stage");
            let staged = stage(&staging, &package.files, digest, hook);
            let published = staged.and_then(|()| {
                std::fs::rename(&staging, &target)?;
                sync_dir(&self.root.join("packages"))
            });
            if let Err(err) = published {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(err.into());
            }
        }
        hook(InstallStep::Published);
        let previous = self.read_pointer(&id).ok().map(|p| p.digest);
        let pointer = PluginPin::new(id.clone(), package.manifest.version(), digest.clone());
        self.write_pointer(&id, &pointer)?;
        hook(InstallStep::Swapped);
        if let Some(prev) = previous.as_ref().filter(|p| *p != digest) {
            self.collect(prev);
        }
        hook(InstallStep::Collected);
        tracing::info!(target: "yoi_plugin_host::store", plugin = %id, version = %pointer.version, digest = %digest, "installed");
        Ok(InstallOutcome {
            pin: pointer,
            previous,
        })
    }

    /// Lists installed plugins (inventory only; nothing is loaded or run).
    pub fn list(&self) -> Result<Vec<PluginPin>, StoreError> {
        let mut out = Vec::new();
        for source in Source::ALL {
            let dir = self.root.join("plugins").join(source.as_str());
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let name = entry?.file_name().to_string_lossy().into_owned();
                let Some(name) = name.strip_suffix(".json") else {
                    continue;
                };
                let Ok(name) = crate::names::PluginName::parse(name) else {
                    continue;
                };
                if let Ok(p) = self.read_pointer(&PluginId::new(source, name)) {
                    out.push(p);
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Reads and re-validates the installed package of `id`.
    pub fn get(&self, id: &PluginId) -> Result<Package, StoreError> {
        Ok(self.get_pinned(id)?.0)
    }

    /// The installed package of `id` and the pin its pointer records.
    fn get_pinned(&self, id: &PluginId) -> Result<(Package, PluginPin), StoreError> {
        let _lock = self.lock()?;
        let pointer = self.read_pointer(id)?;
        let dir = self.root.join("packages").join(pointer.digest.as_str());
        if !self.verify_marker(&dir, &pointer.digest) {
            return Err(StoreError::Incomplete(id.to_string()));
        }
        let package = read_package(&dir).map_err(|e| match e {
            StoreError::Package(_) | StoreError::Io(_) => StoreError::Tampered(id.to_string()),
            other => other,
        })?;
        if package.digest != pointer.digest || package.manifest.version() != pointer.version {
            return Err(StoreError::Tampered(id.to_string()));
        }
        Ok((package, pointer))
    }

    /// Loads the installed plugin `id`, whatever its version: the CLI's
    /// `run ID` (the pin is read from the store's own pointer).
    pub fn load_installed(&self, host: &PluginHost, id: &PluginId) -> Result<Plugin, StoreError> {
        let (package, pin) = self.get_pinned(id)?;
        Ok(Plugin::from_package(host, package, pin)?)
    }

    /// Loads the plugin `pin` names into `host`: the installed version and
    /// digest must match it exactly. The package is re-validated and
    /// re-hashed first.
    pub fn load(&self, host: &PluginHost, pin: &PluginPin) -> Result<Plugin, StoreError> {
        let (package, installed) = self.get_pinned(&pin.id)?;
        if installed.version != pin.version {
            return Err(StoreError::VersionMismatch {
                id: pin.id.to_string(),
                installed: installed.version.to_string(),
                wanted: pin.version.to_string(),
            });
        }
        if installed.digest != pin.digest {
            return Err(StoreError::DigestMismatch(pin.id.to_string()));
        }
        Ok(Plugin::from_package(host, package, installed)?)
    }

    /// Removes `id` (its pointer, then its package if unreferenced).
    pub fn remove(&self, id: &PluginId) -> Result<PluginPin, StoreError> {
        let _lock = self.lock()?;
        self.sweep_staging();
        let pointer = self.read_pointer(id)?;
        std::fs::remove_file(self.pointer_path(id))?;
        sync_dir(&self.pointer_path(id).with_file_name(""))?;
        self.collect(&pointer.digest);
        Ok(pointer)
    }

    fn lock(&self) -> Result<File, StoreError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join(".lock"))?;
        let started = Instant::now();
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(file),
                Err(rustix::io::Errno::WOULDBLOCK) if started.elapsed() < self.lock_timeout => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(rustix::io::Errno::WOULDBLOCK) => return Err(StoreError::Busy),
                Err(e) => return Err(std::io::Error::from(e).into()),
            }
        }
    }

    /// Removes leftovers of crashed installs. Only called with the store
    /// lock held: every live staging entry belongs to the lock holder, so
    /// anything present now is debris.
    fn sweep_staging(&self) {
        let Ok(entries) = std::fs::read_dir(self.root.join(".staging")) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
        }
    }

    fn pointer_path(&self, id: &PluginId) -> PathBuf {
        self.root
            .join("plugins")
            .join(id.source().as_str())
            .join(format!("{}.json", id.name().as_str()))
    }

    fn read_pointer(&self, id: &PluginId) -> Result<PluginPin, StoreError> {
        let text = match std::fs::read(self.pointer_path(id)) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotInstalled(id.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        let pointer: PluginPin =
            serde_json::from_slice(&text).map_err(|_| StoreError::Corrupt(id.to_string()))?;
        if pointer.id != *id {
            return Err(StoreError::Corrupt(id.to_string()));
        }
        Ok(pointer)
    }

    fn write_pointer(&self, id: &PluginId, pointer: &PluginPin) -> Result<(), StoreError> {
        let path = self.pointer_path(id);
        std::fs::create_dir_all(path.with_file_name(""))?;
        let bytes = serde_json::to_vec(pointer).expect("a pin serialises");
        Ok(durable::write_file(&path, &bytes)?)
    }

    fn verify_marker(&self, dir: &Path, digest: &Digest) -> bool {
        std::fs::read_to_string(dir.join(COMPLETE_MARKER))
            .is_ok_and(|m| m.trim() == digest.as_str())
    }

    /// Removes `packages/<digest>` unless a pointer still names it.
    fn collect(&self, digest: &Digest) {
        let referenced = self
            .list()
            .map(|all| all.iter().any(|p| p.digest == *digest))
            .unwrap_or(true);
        if referenced {
            return;
        }
        let dir = self.root.join("packages").join(digest.as_str());
        let trash = self.temp_path("trash");
        if std::fs::rename(&dir, &trash).is_ok() {
            let _ = std::fs::remove_dir_all(&trash);
        }
    }

    fn temp_path(&self, kind: &str) -> PathBuf {
        self.root
            .join(".staging")
            .join(format!("{kind}-{}", durable::unique_suffix()))
    }
}

/// Writes and fsyncs every file, then the marker.
fn stage(
    dir: &Path,
    files: &PackageFiles,
    digest: &Digest,
    hook: &mut dyn FnMut(InstallStep),
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (path, content) in files.iter() {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = File::create(&target)?;
        file.write_all(content)?;
        file.sync_all()?;
    }
    hook(InstallStep::Staged);
    let mut marker = File::create(dir.join(COMPLETE_MARKER))?;
    marker.write_all(digest.as_str().as_bytes())?;
    marker.sync_all()?;
    sync_dir(dir)?;
    hook(InstallStep::Marked);
    Ok(())
}

/// Reads an installed package directory back into a validated package.
fn read_package(dir: &Path) -> Result<Package, StoreError> {
    let read = |rel: &str| -> Result<Option<Vec<u8>>, StoreError> {
        match durable::read_regular(&dir.join(rel), crate::package::MAX_FILE_BYTES)? {
            durable::Regular::Missing => Ok(None),
            durable::Regular::Special => Err(PackageError::SpecialFile(rel.to_owned()).into()),
            durable::Regular::TooLarge => Err(PackageError::FileTooLarge(rel.to_owned()).into()),
            durable::Regular::Bytes(bytes) => Ok(Some(bytes)),
        }
    };
    let manifest_text = read(MANIFEST_FILE)?.ok_or(PackageError::MissingManifest)?;
    let manifest =
        Manifest::parse(&String::from_utf8_lossy(&manifest_text)).map_err(PackageError::from)?;
    let mut files = PackageFiles::new();
    files.insert(MANIFEST_FILE, manifest_text)?;
    let mut wanted = vec![manifest.component.clone()];
    wanted.extend(OPTIONAL_FILES.iter().map(|s| s.to_string()));
    for rel in wanted {
        if let Some(bytes) = read(&rel)? {
            files.insert(&rel, bytes)?;
        }
    }
    Ok(Package::from_files(files)?)
}
