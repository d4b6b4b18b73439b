//! `.yoi-plugin` archives ([`Package::from_archive`]: gzip, tar, the entry
//! rules, then the package checks).
//!
//! Properties, beyond the common ones ([`super::check_error`] with the
//! secret canaries; entry names are echoed by design, bounded and
//! cleaned): an archive built with a link, special or traversal entry
//! and honest sizes is refused; an accepted package holds only the
//! manifest, its component and the optional files, by safe paths; it
//! round-trips through `to_archive` to the same digest and files; and a
//! sample of accepted packages is installed into a [`PluginStore`] that
//! writes nothing outside its root and no link.

use std::collections::BTreeSet;
use std::path::Path;

use yoi_plugin_host::names::Source;
use yoi_plugin_host::package::{OPTIONAL_FILES, Package, check_entry_path};
use yoi_plugin_host::{ErrorCode, PluginStore};

use super::{Outcome, SECRET_CANARIES, Violation};

/// Accepted packages installed per run (installs fsync).
const INSTALL_SAMPLE: usize = 12;

/// Checks an accepted package and maybe installs it.
fn accepted(p: &Package, install: &mut ArchiveChecker) -> Result<(), Violation> {
    for (path, _) in p.files.iter() {
        if check_entry_path(path).is_err() {
            return Err("accepted an unsafe entry path".into());
        }
        if path != "plugin.toml" && path != p.manifest.component && !OPTIONAL_FILES.contains(&path)
        {
            return Err("accepted an unexpected entry".into());
        }
    }
    let again = Package::from_archive(&p.to_archive())
        .map_err(|e| format!("its own archive is refused: {}", e.code()))?;
    if again.digest != p.digest || again.files != p.files {
        return Err("the package does not round-trip through its archive".into());
    }
    install.maybe(p)
}

/// Checks archives one by one; installs a sample of the accepted ones
/// into a store under a parent directory that must hold nothing else.
pub struct ArchiveChecker {
    tmp: tempfile::TempDir,
    store: PluginStore,
    done: BTreeSet<String>,
}

impl Default for ArchiveChecker {
    fn default() -> Self {
        ArchiveChecker::new()
    }
}

impl ArchiveChecker {
    /// A checker with an empty store in a new temporary directory.
    pub fn new() -> ArchiveChecker {
        let tmp = tempfile::tempdir().unwrap();
        let store = PluginStore::open(tmp.path().join("store")).unwrap();
        ArchiveChecker {
            tmp,
            store,
            done: BTreeSet::new(),
        }
    }

    /// Runs `bytes` through the reader and the properties. `must_refuse`:
    /// the input was built with a link, special or traversal entry and
    /// honest sizes, so accepting it is a violation.
    pub fn check(&mut self, bytes: &[u8], must_refuse: bool) -> Result<Outcome, Violation> {
        match Package::from_archive(bytes) {
            Err(e) => {
                super::check_error(e.code(), &e.to_string(), &SECRET_CANARIES)?;
                Ok(Outcome::Rejected(e.code()))
            }
            Ok(_) if must_refuse => Err("accepted a link, special or traversal entry".into()),
            Ok(p) => accepted(&p, self).map(|()| Outcome::Accepted),
        }
    }

    /// How many accepted packages were installed.
    pub fn installed(&self) -> usize {
        self.done.len()
    }

    fn maybe(&mut self, p: &Package) -> Result<(), Violation> {
        if self.done.len() >= INSTALL_SAMPLE || !self.done.insert(p.digest.to_string()) {
            return Ok(());
        }
        let outcome = self
            .store
            .install(p, Source::User)
            .map_err(|e| format!("install of an accepted package failed: {}", e.code()))?;
        let back = self
            .store
            .get(&outcome.pin.id)
            .map_err(|e| format!("installed package unreadable: {}", e.code()))?;
        if back.digest != p.digest {
            return Err("the store holds another package".into());
        }
        for entry in std::fs::read_dir(self.tmp.path()).unwrap() {
            if entry.unwrap().file_name() != "store" {
                return Err("install wrote outside the store root".into());
            }
        }
        no_links(&self.tmp.path().join("store"))
    }
}

fn no_links(dir: &Path) -> Result<(), Violation> {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            return Err("the store holds a symlink".into());
        }
        if kind.is_dir() {
            no_links(&entry.path())?;
        } else if !kind.is_file() {
            return Err("the store holds a special file".into());
        }
    }
    Ok(())
}
