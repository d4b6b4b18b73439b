//! Config bundles ([`ConfigBundle::from_json`]: JSON, every field rule,
//! the canonical digest).
//!
//! Properties, beyond the common ones ([`super::check_error`] with the
//! secret and path canaries): a refused bundle's id and digest asked of
//! the store give a clean error too; an accepted bundle's digest
//! recomputes equal; it round-trips through compact and pretty JSON and
//! through its canonical form; a sample of accepted bundles goes through
//! a [`BundleStore`] (put, get equal, listed) that writes nothing outside
//! `<root>/<id>/<digest>.json`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use yoi_plugin_host::ErrorCode;
use yoi_plugin_host::bundle::canonical::{FORMAT_TAG, canonical_bytes};
use yoi_plugin_host::bundle::{BundleRef, BundleStore, ConfigBundle};

use super::{Outcome, Violation, all_canaries as canaries};

/// Accepted bundles put through the store per run (fsyncs are slow).
const STORE_SAMPLE: usize = 48;

/// Checks bundle texts one by one, with a store in a new temporary
/// directory for the sample of accepted ones.
pub struct BundleChecker {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    store: BundleStore,
    stored: BTreeSet<String>,
}

impl Default for BundleChecker {
    fn default() -> Self {
        BundleChecker::new()
    }
}

impl BundleChecker {
    /// A checker with an empty store.
    pub fn new() -> BundleChecker {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let root = tmp.path().join("store");
        let store = BundleStore::open(&root).expect("an empty bundle store");
        BundleChecker {
            _tmp: tmp,
            root,
            store,
            stored: BTreeSet::new(),
        }
    }

    /// Runs `bytes` (as UTF-8, lossily) through the parser and the
    /// properties.
    pub fn check(&mut self, bytes: &[u8]) -> Result<Outcome, Violation> {
        let text = String::from_utf8_lossy(bytes);
        match ConfigBundle::from_json(&text) {
            Err(e) => {
                super::check_error(e.code(), &e.to_string(), &canaries())?;
                // The same id and digest asked of the store: typed, clean.
                if let Ok(draft) = ConfigBundle::parse_draft(&text) {
                    let r = BundleRef::new(draft.id, draft.digest);
                    if let Err(se) = self.store.get(&r) {
                        super::check_error(se.code(), &se.to_string(), &canaries())?;
                    }
                }
                Ok(Outcome::Rejected(e.code()))
            }
            Ok(b) => {
                round_trips(&b)?;
                if self.stored.len() < STORE_SAMPLE && self.stored.insert(b.digest.clone()) {
                    through_store(&self.store, &self.root, &b)?;
                }
                Ok(Outcome::Accepted)
            }
        }
    }
}

/// Checks an accepted bundle's round trips.
fn round_trips(b: &ConfigBundle) -> Result<(), Violation> {
    if b.compute_digest() != b.digest {
        return Err("the digest of an accepted bundle does not recompute equal".into());
    }
    b.bundle_ref()
        .validate()
        .map_err(|e| format!("its ref is refused: {}", e.code()))?;
    for text in [serde_json::to_string(b), serde_json::to_string_pretty(b)] {
        let text = text.map_err(|_| "an accepted bundle does not serialise")?;
        match ConfigBundle::from_json(&text) {
            Ok(again) if &again == b => {}
            Ok(_) => return Err("re-serialised bundle parses to something else".into()),
            Err(e) => return Err(format!("re-serialised bundle is refused: {}", e.code())),
        }
    }
    let canonical = canonical_bytes(b);
    let body = canonical
        .strip_prefix(FORMAT_TAG.as_bytes())
        .ok_or("canonical bytes without the format tag")?;
    let draft = ConfigBundle::parse_draft(
        std::str::from_utf8(body).map_err(|_| "canonical form not UTF-8")?,
    )
    .map_err(|e| format!("canonical form does not parse: {}", e.code()))?;
    if draft.seal() != *b {
        return Err("the canonical form resealed is another bundle".into());
    }
    Ok(())
}

/// Puts `b` in the store and reads it back; nothing may appear outside
/// `<root>/<id>/<digest>.json`.
fn through_store(store: &BundleStore, root: &Path, b: &ConfigBundle) -> Result<(), Violation> {
    store
        .put(b)
        .map_err(|e| format!("store refused an accepted bundle: {}", e.code()))?;
    let back = store
        .get(&b.bundle_ref())
        .map_err(|e| format!("store lost a bundle: {}", e.code()))?;
    if back != *b {
        return Err("the store returned another bundle".into());
    }
    let listed = store
        .list()
        .map_err(|e| format!("listing failed: {}", e.code()))?;
    if !listed.contains(&b.summary()) {
        return Err("a stored bundle is not listed".into());
    }
    let parent = root.parent().unwrap();
    for entry in std::fs::read_dir(parent).unwrap() {
        if entry.unwrap().path() != root {
            return Err("the store wrote beside its root".into());
        }
    }
    for dir in std::fs::read_dir(root).unwrap() {
        let dir = dir.unwrap();
        let id = dir.file_name().to_string_lossy().into_owned();
        if !dir.file_type().unwrap().is_dir() || !yoi_plugin_host::bundle::rules::is_identifier(&id)
        {
            return Err("the store root holds something else than id directories".into());
        }
        for file in std::fs::read_dir(dir.path()).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            let digest = name.strip_suffix(".json").unwrap_or("");
            if digest.len() != 64 || !digest.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err("the store holds a file not named <digest>.json".into());
            }
        }
    }
    Ok(())
}
