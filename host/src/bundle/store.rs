//! A directory-backed store of config bundles: the runtime's side of
//! bundle sync.
//!
//! Layout: `<root>/<bundle id>/<digest>.json`, one file per stored content;
//! several revisions of one id coexist, keyed by digest. The id and digest
//! are validated (path-safe identifier, 64 lowercase hex) before they
//! become file names, so no traversal is possible.
//!
//! - [`BundleStore::put`] validates the bundle and its digest, then writes
//!   atomically: a temporary file in the same directory, `fsync`, a
//!   no-clobber rename onto the final name, `fsync` of the directory.
//!   Storing the same bundle twice is idempotent ([`StoreOutcome`]);
//!   concurrent writers of different bundles never lose each other's
//!   files, and concurrent writers of the same bundle yield exactly one
//!   `Stored`. A corrupt file under the target name is replaced.
//! - [`BundleStore::get`] re-verifies the digest on every load.
//! - [`BundleStore::check`] answers availability by id + digest.
//!
//! Errors ([`StoreError`]) never contain the store's directory: I/O errors
//! keep only their [`std::io::ErrorKind`], and a corrupt file is reported by
//! id, digest prefix and reason.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::sync::Arc;

use parking_lot::Mutex;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::BundleError;
use super::rules::is_identifier;
use super::{BundleRef, BundleSummary, ConfigBundle, MAX_BUNDLE_JSON_BYTES};
use crate::durable::{self, Regular, Replace};

/// Why a store operation failed. No variant carries a filesystem path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The bundle (or bundle reference) itself is not acceptable.
    #[error("{0}")]
    Invalid(#[from] BundleError),
    /// No bundle with this id is stored.
    #[error("bundle '{id}' is not in the store")]
    Missing {
        /// The bundle id asked for.
        id: String,
    },
    /// The id is stored, but not with the requested digest.
    #[error(
        "bundle '{id}' is not stored with digest {requested}…; {} other revision(s) are",
        available.len()
    )]
    DigestMismatch {
        /// The bundle id asked for.
        id: String,
        /// First 12 characters of the requested digest.
        requested: String,
        /// Full digests stored for this id, sorted.
        available: Vec<String>,
    },
    /// A stored file is unreadable as the bundle its name promises.
    #[error("stored bundle '{id}' ({digest}…) is corrupt: {reason}")]
    Corrupt {
        /// The bundle id (from the validated directory name).
        id: String,
        /// First 12 characters of the digest (from the validated file name).
        digest: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An I/O operation failed; only its kind is kept.
    #[error("bundle store I/O error during {op}: {kind}")]
    Io {
        /// What the store was doing.
        op: &'static str,
        /// The I/O error kind.
        kind: io::ErrorKind,
    },
    /// The store location exists but is not a directory.
    #[error("the bundle store location is not a directory")]
    NotADirectory,
}

impl crate::error::ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Invalid(e) => e.code(),
            StoreError::Missing { .. } => "bundle-missing",
            StoreError::DigestMismatch { .. } => "digest-mismatch",
            StoreError::Corrupt { .. } => "store-corrupt",
            StoreError::Io { .. } => "store-io",
            StoreError::NotADirectory => "store-unavailable",
        }
    }
}

/// Largest stored bundle file read back: the canonical bound plus room for
/// the digest member (and a pretty-printed file of an older store).
const MAX_STORED_BYTES: u64 = 2 * MAX_BUNDLE_JSON_BYTES as u64;

fn io_err(op: &'static str) -> impl Fn(io::Error) -> StoreError {
    move |e| StoreError::Io { op, kind: e.kind() }
}

/// What [`BundleStore::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreOutcome {
    /// The bundle was written.
    Stored,
    /// The identical bundle was already stored; nothing was written.
    AlreadyPresent,
}

/// Whether a bundle is available, by id + digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Availability {
    /// Stored with exactly this digest (and verified).
    Available,
    /// Nothing is stored under this id.
    Missing,
    /// The id is stored, but only with other digests.
    DigestMismatch {
        /// The digests that are stored for the id, sorted.
        available: Vec<String>,
    },
}

/// A directory-backed bundle store. Cheap to clone; safe to share between
/// threads and processes (all coordination is through atomic renames).
#[derive(Clone)]
pub struct BundleStore {
    root: PathBuf,
    /// The summaries of the stored bundles, built by one scan at the first
    /// listing and kept up to date by [`BundleStore::put`]: listing and
    /// counting never re-read or re-hash the files. `get` always re-reads
    /// and re-verifies the file it returns.
    index: Arc<Mutex<Option<Index>>>,
}

/// Summaries by (id, digest).
type Index = BTreeMap<(String, String), BundleSummary>;

impl fmt::Debug for BundleStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleStore")
            .field("root", &"<host-local>")
            .finish()
    }
}

fn short(digest: &str) -> String {
    digest.get(..12).unwrap_or(digest).to_owned()
}

impl BundleStore {
    /// Opens (creating if needed) the store at `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<BundleStore, StoreError> {
        let root = dir.as_ref().to_path_buf();
        fs::create_dir_all(&root).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory => {
                StoreError::NotADirectory
            }
            kind => StoreError::Io { op: "open", kind },
        })?;
        if !fs::metadata(&root).map_err(io_err("open"))?.is_dir() {
            return Err(StoreError::NotADirectory);
        }
        Ok(BundleStore {
            root,
            index: Arc::default(),
        })
    }

    fn file_path(&self, id: &str, digest: &str) -> PathBuf {
        self.root.join(id).join(format!("{digest}.json"))
    }

    /// Validates `bundle` (fields and digest) and stores it atomically.
    pub fn put(&self, bundle: &ConfigBundle) -> Result<StoreOutcome, StoreError> {
        bundle.validate()?;
        let (id, digest) = (&bundle.id, &bundle.digest);
        let replace = match self.load(id, digest) {
            Ok(_) => return Ok(StoreOutcome::AlreadyPresent),
            Err(StoreError::Missing { .. }) => false,
            Err(StoreError::Corrupt { .. }) => true,
            Err(e) => return Err(e),
        };
        let dir = self.root.join(id);
        match fs::create_dir(&dir) {
            Ok(()) => durable::sync_dir(&self.root).map_err(io_err("sync"))?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_err("create")(e)),
        }
        // Compact JSON: at most the canonical form (bounded by `validate`)
        // plus the digest member, so it always fits the read bound.
        let mut bytes = serde_json::to_vec(bundle).map_err(|_| StoreError::Io {
            op: "encode",
            kind: io::ErrorKind::InvalidData,
        })?;
        bytes.push(b'\n');
        let target = self.file_path(id, digest);
        let write = |replace| durable::write_file_with(&target, &bytes, replace);
        let outcome = if replace {
            write(Replace::Always).map_err(io_err("write"))?;
            StoreOutcome::Stored
        } else {
            match write(Replace::Never) {
                Ok(()) => StoreOutcome::Stored,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    // Another writer got there first; keep theirs if sound.
                    match self.load(id, digest) {
                        Ok(_) => return Ok(StoreOutcome::AlreadyPresent),
                        Err(StoreError::Corrupt { .. }) => {
                            write(Replace::Always).map_err(io_err("write"))?;
                            StoreOutcome::Stored
                        }
                        Err(other) => return Err(other),
                    }
                }
                Err(e) => return Err(io_err("write")(e)),
            }
        };
        if let Some(index) = self.index.lock().as_mut() {
            index.insert((id.clone(), digest.clone()), bundle.summary());
        }
        tracing::debug!(bundle = %bundle.bundle_ref(), revision = bundle.revision, "config bundle stored");
        Ok(outcome)
    }

    /// Loads the bundle `r` names, re-verifying its digest.
    pub fn get(&self, r: &BundleRef) -> Result<ConfigBundle, StoreError> {
        r.validate()?;
        match self.load(&r.id, &r.digest) {
            Err(StoreError::Missing { .. }) => {
                let available = self.digests(&r.id)?;
                if available.is_empty() {
                    Err(StoreError::Missing { id: r.id.clone() })
                } else {
                    Err(StoreError::DigestMismatch {
                        id: r.id.clone(),
                        requested: short(&r.digest),
                        available,
                    })
                }
            }
            other => other,
        }
    }

    /// Whether the bundle `id` is stored with `digest`. A corrupt file
    /// under that exact name is an error (storing the bundle again repairs
    /// it).
    pub fn check(&self, id: &str, digest: &str) -> Result<Availability, StoreError> {
        match self.get(&BundleRef::new(id, digest)) {
            Ok(_) => Ok(Availability::Available),
            Err(StoreError::Missing { .. }) => Ok(Availability::Missing),
            Err(StoreError::DigestMismatch { available, .. }) => {
                Ok(Availability::DigestMismatch { available })
            }
            Err(e) => Err(e),
        }
    }

    /// Every sound stored bundle, sorted by id, then revision, then
    /// digest. Corrupt files are skipped (and logged without paths); `get`
    /// on them reports [`StoreError::Corrupt`].
    pub fn list(&self) -> Result<Vec<BundleSummary>, StoreError> {
        let mut out: Vec<BundleSummary> =
            self.with_index(|index| index.values().cloned().collect())?;
        out.sort_by(|a, b| (&a.id, a.revision, &a.digest).cmp(&(&b.id, b.revision, &b.digest)));
        Ok(out)
    }

    /// How many sound bundles are stored (from the index).
    pub fn count(&self) -> Result<usize, StoreError> {
        self.with_index(|index| index.len())
    }

    /// Whether the store can serve: its directory is there. O(1).
    pub fn ready(&self) -> Result<(), StoreError> {
        match fs::metadata(&self.root) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(StoreError::NotADirectory),
            Err(e) => Err(io_err("open")(e)),
        }
    }

    /// Runs `f` on the index, building it by one scan if needed.
    fn with_index<T>(&self, f: impl FnOnce(&Index) -> T) -> Result<T, StoreError> {
        // An unusable store is reported, not papered over by the index.
        self.ready()?;
        let mut index = self.index.lock();
        if index.is_none() {
            let scanned = self
                .scan()?
                .into_iter()
                .map(|s| ((s.id.clone(), s.digest.clone()), s))
                .collect();
            *index = Some(scanned);
        }
        Ok(f(index.as_ref().expect("built above")))
    }

    /// Reads and verifies every stored file (the one full scan).
    fn scan(&self) -> Result<Vec<BundleSummary>, StoreError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(io_err("list"))? {
            let entry = entry.map_err(io_err("list"))?;
            let is_dir = entry.file_type().map_err(io_err("list"))?.is_dir();
            let Some(id) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !is_dir || !is_identifier(&id) {
                continue;
            }
            for digest in self.digests(&id)? {
                match self.load(&id, &digest) {
                    Ok(bundle) => out.push(bundle.summary()),
                    Err(StoreError::Missing { .. } | StoreError::Corrupt { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        out.sort_by(|a, b| (&a.id, a.revision, &a.digest).cmp(&(&b.id, b.revision, &b.digest)));
        Ok(out)
    }

    /// The digests of the sound files stored for `id`, sorted.
    fn digests(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let entries = match fs::read_dir(self.root.join(id)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("list")(e)),
        };
        let mut digests = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("list"))?;
            let name = entry.file_name();
            let Some(digest) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if crate::names::Digest::parse(digest).is_err() {
                continue;
            }
            match self.load(id, digest) {
                Ok(_) => digests.push(digest.to_owned()),
                Err(StoreError::Corrupt { id, digest, reason }) => {
                    tracing::warn!(bundle = %id, digest = %digest, reason, "skipping a corrupt stored config bundle");
                }
                Err(StoreError::Missing { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        digests.sort();
        Ok(digests)
    }

    /// Reads and verifies `<root>/<id>/<digest>.json`; `id` and `digest`
    /// must already be validated.
    fn load(&self, id: &str, digest: &str) -> Result<ConfigBundle, StoreError> {
        let corrupt = |reason| StoreError::Corrupt {
            id: id.to_owned(),
            digest: short(digest),
            reason,
        };
        let path = self.file_path(id, digest);
        let bytes = match durable::read_regular(&path, MAX_STORED_BYTES).map_err(io_err("read"))? {
            Regular::Missing => return Err(StoreError::Missing { id: id.to_owned() }),
            Regular::Special => return Err(corrupt("not a regular file")),
            Regular::TooLarge => return Err(corrupt("larger than the bundle size bound")),
            Regular::Bytes(bytes) => bytes,
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| corrupt("not UTF-8"))?;
        let bundle = ConfigBundle::parse_draft(text).map_err(|_| corrupt("not bundle JSON"))?;
        match bundle.validate() {
            Ok(()) => {}
            Err(BundleError::DigestMismatch { .. }) => {
                return Err(corrupt("content does not match its digest"));
            }
            Err(_) => return Err(corrupt("content is not a valid bundle")),
        }
        if bundle.id != id || bundle.digest != digest {
            return Err(corrupt("content is stored under another id or digest"));
        }
        Ok(bundle)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
