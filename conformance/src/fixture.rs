//! Fixture trees: what a case's mount holds before it runs, and what it
//! must hold after.
//!
//! A tree is a list of entries, each one string (paths are inside the
//! mount, parents are created as needed):
//!
//! | entry | creates |
//! |---|---|
//! | `dir/` | a directory |
//! | `a.txt=text` | a file holding `text` |
//! | `a.txt` | an empty file |
//! | `big.bin#1048577` | a file of that many `x` bytes |
//! | `link->target` | a symlink to `target`; `@out` is the outside directory |
//! | `pipe\|fifo`, `sock\|socket` | a FIFO, a Unix socket |
//! | `dir/*200` | 200 empty files `e00000`… in `dir` |
//!
//! Next to the mount is `outside/` holding `secret.txt` (and `dir/`): the
//! runner checks after every case that it is unchanged. `after` entries
//! check the mount after the ops: `a.txt=text` (a regular file with that
//! content), `dir/` (a directory), `!name` (nothing there), `a.txt#N` (a
//! regular file of N bytes).

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// What the outside secret holds; no case may ever return or change it.
pub const SECRET: &str = "TOP-SECRET-OUTSIDE-3c1e";

/// A case's directories: the mount and a sibling outside every grant.
pub struct Fixture {
    /// The directory behind the mount.
    pub mount: PathBuf,
    /// The sibling outside the mount.
    pub outside: PathBuf,
}

impl Fixture {
    /// Creates `root/mount` and `root/outside` (both emptied first; the
    /// mount directory itself is kept, so open handles to it stay valid).
    pub fn reset(root: &Path) -> Result<Fixture> {
        let fixture = Fixture {
            mount: root.join("mount"),
            outside: root.join("outside"),
        };
        for dir in [&fixture.mount, &fixture.outside] {
            std::fs::create_dir_all(dir)?;
            empty(dir)?;
        }
        std::fs::write(fixture.outside.join("secret.txt"), SECRET)?;
        std::fs::create_dir(fixture.outside.join("dir"))?;
        Ok(fixture)
    }

    /// Builds `tree` in the mount.
    pub fn build(&self, tree: &[String]) -> Result<()> {
        for entry in tree {
            self.entry(entry)
                .with_context(|| format!("fixture entry {entry:?}"))?;
        }
        Ok(())
    }

    fn entry(&self, entry: &str) -> Result<()> {
        let at = |rel: &str| -> Result<PathBuf> {
            let path = self.mount.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            Ok(path)
        };
        if let Some(dir) = entry.strip_suffix('/') {
            std::fs::create_dir_all(self.mount.join(dir))?;
        } else if let Some((name, target)) = entry.split_once("->") {
            let target = target.replace("@out", &self.outside.to_string_lossy());
            symlink(target, at(name)?)?;
        } else if let Some((name, content)) = entry.split_once('=') {
            std::fs::write(at(name)?, content)?;
        } else if let Some(name) = entry.strip_suffix("|fifo") {
            rustix::fs::mknodat(
                rustix::fs::CWD,
                &at(name)?,
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o644),
                0,
            )?;
        } else if let Some(name) = entry.strip_suffix("|socket") {
            drop(std::os::unix::net::UnixListener::bind(at(name)?)?);
        } else if let Some((dir, n)) = entry.split_once("/*") {
            let n: usize = n.parse()?;
            std::fs::create_dir_all(self.mount.join(dir))?;
            for i in 0..n {
                std::fs::write(self.mount.join(dir).join(format!("e{i:05}")), "")?;
            }
        } else if let Some((name, n)) = entry.split_once('#') {
            std::fs::write(at(name)?, vec![b'x'; n.parse()?])?;
        } else {
            std::fs::write(at(entry)?, "")?;
        }
        Ok(())
    }

    /// Checks the `after` entries; returns the first mismatch.
    pub fn check_after(&self, after: &[String]) -> Result<(), String> {
        for entry in after {
            let meta = |rel: &str| std::fs::symlink_metadata(self.mount.join(rel));
            let ok = if let Some(name) = entry.strip_prefix('!') {
                meta(name).is_err()
            } else if let Some(dir) = entry.strip_suffix('/') {
                meta(dir).is_ok_and(|m| m.is_dir())
            } else if let Some((name, content)) = entry.split_once('=') {
                meta(name).is_ok_and(|m| m.is_file())
                    && std::fs::read(self.mount.join(name)).is_ok_and(|c| c == content.as_bytes())
            } else if let Some((name, n)) = entry.split_once('#') {
                meta(name).is_ok_and(|m| m.is_file() && n.parse() == Ok(m.len()))
            } else {
                meta(entry).is_ok()
            };
            if !ok {
                return Err(format!("after: {entry:?} does not hold"));
            }
        }
        Ok(())
    }

    /// Checks that nothing outside the mount changed.
    pub fn check_outside(&self) -> Result<(), String> {
        let secret = std::fs::read_to_string(self.outside.join("secret.txt"));
        if secret.as_deref().ok() != Some(SECRET) {
            return Err("outside/secret.txt changed".into());
        }
        let mut names: Vec<_> = std::fs::read_dir(&self.outside)
            .map_err(|e| e.kind().to_string())?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        let inner = std::fs::read_dir(self.outside.join("dir")).map_or(1, |d| d.count());
        if names != ["dir", "secret.txt"] || inner != 0 {
            return Err("something was created outside the mount".into());
        }
        Ok(())
    }
}

/// Removes everything inside `dir`, never following a symlink.
fn empty(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    if std::fs::read_dir(dir)?.next().is_some() {
        bail!("could not empty {}", dir.display());
    }
    Ok(())
}
