//! Guest paths: [`GuestPath::parse`], and the same string resolved by an
//! [`FsContext`] over a sandbox whose mount holds symlinks — to a file and
//! to a directory — pointing at a canary outside the mount.
//!
//! Properties. The parser: an accepted path has exactly the spelling it
//! was given (mount + segments), no empty, `.`, `..` or reserved segment,
//! no separator, backslash or control character inside a segment, and
//! segments within the bound; a refusal is `invalid-path` and does not
//! echo the input. The resolution: a path the parser refuses is refused
//! by the fs with `invalid-path` too; no read returns the canary's bytes,
//! no listing shows its name, no stat reports its size (stat does not
//! follow links: it may describe the link itself); every fs error
//! passes [`super::check_error`] with the sandbox's host path and the
//! canary as canaries.

use std::sync::Arc;

use yoi_plugin_host::fs::path::{GuestPath, MAX_SEGMENT_BYTES};
use yoi_plugin_host::limits::{InvocationBudget, MAX_PATH_BYTES};
use yoi_plugin_host::{
    FsContext, FsErrorCode, GrantSet, GrantSpec, LockRegistry, Operation, PluginIdentity,
};

use super::{Outcome, Violation};

/// The content of the file outside the mount (repeated to [`OUTSIDE_SIZE`]).
const OUTSIDE_CANARY: &str = "yoi-outside-canary-8c1f";
/// Its name, which no listing may show.
const OUTSIDE_NAME: &str = "outside-secret.txt";
/// Its size, which no stat may report (no file inside has it).
const OUTSIDE_SIZE: usize = 777;
/// The host's temp-file prefix, reserved (`host/src/fs/path.rs`).
const TEMP_PREFIX: &str = ".yoi-tmp-";

/// Checks guest paths one by one against one sandbox.
pub struct PathChecker {
    tmp: tempfile::TempDir,
    grants: Arc<GrantSet>,
    locks: Arc<LockRegistry>,
}

impl Default for PathChecker {
    fn default() -> Self {
        PathChecker::new()
    }
}

impl PathChecker {
    /// The sandbox: `outside/outside-secret.txt` (the canary) beside
    /// `mount/` = `a.txt`, `docs/b.md`, `link-file` → the canary,
    /// `link-dir` → `outside/`, `docs/up` → `..`; granted as `m` for read,
    /// list and stat.
    pub fn new() -> PathChecker {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let outside = tmp.path().join("outside");
        let mount = tmp.path().join("mount");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::create_dir_all(mount.join("docs")).unwrap();
        let canary: String = OUTSIDE_CANARY.chars().cycle().take(OUTSIDE_SIZE).collect();
        std::fs::write(outside.join(OUTSIDE_NAME), canary).unwrap();
        std::fs::write(mount.join("a.txt"), "inside a").unwrap();
        std::fs::write(mount.join("docs/b.md"), "inside b, a little longer").unwrap();
        std::os::unix::fs::symlink(outside.join(OUTSIDE_NAME), mount.join("link-file")).unwrap();
        std::os::unix::fs::symlink(&outside, mount.join("link-dir")).unwrap();
        std::os::unix::fs::symlink("..", mount.join("docs/up")).unwrap();
        let identity = PluginIdentity::component("fuzz-path".parse().unwrap(), b"");
        let spec = GrantSpec::new(
            "m",
            &mount,
            &[Operation::Read, Operation::List, Operation::Stat],
        );
        let grants = Arc::new(GrantSet::open(identity, &[spec]).expect("the sandbox grant"));
        PathChecker {
            tmp,
            grants,
            locks: Arc::new(LockRegistry::new()),
        }
    }

    /// Runs one input: its first byte picks read, list or stat, the rest
    /// (as UTF-8, lossily) is the guest path.
    pub fn check(&mut self, bytes: &[u8]) -> Result<Outcome, Violation> {
        let (op, raw) = match bytes.split_first() {
            Some((op, rest)) => (op % 3, String::from_utf8_lossy(rest)),
            None => (0, "".into()),
        };
        let parsed = parse(&raw)?;
        let mut fs = FsContext::new(
            self.grants.clone(),
            self.locks.clone(),
            InvocationBudget::default(),
        );
        let result = match op {
            0 => fs.read(&raw, 0, 4096).map(|out| {
                (!contains(&out.data, OUTSIDE_CANARY.as_bytes()))
                    .then_some(())
                    .ok_or("a read returned the outside canary")
            }),
            1 => fs.list(&raw, None, 0).map(|page| {
                (!page.entries.iter().any(|e| e.name == OUTSIDE_NAME))
                    .then_some(())
                    .ok_or("a listing showed the outside file")
            }),
            _ => fs.stat(&raw).map(|meta| {
                (meta.size != OUTSIDE_SIZE as u64)
                    .then_some(())
                    .ok_or("a stat reported the outside file")
            }),
        };
        match result {
            Ok(property) => {
                property?;
                if parsed.is_err() {
                    return Err("the fs accepted a path the parser refuses".into());
                }
                Ok(Outcome::Accepted)
            }
            Err(e) => {
                let host_root = self.tmp.path().to_string_lossy();
                super::check_error(e.code.as_str(), &e.message, &[&host_root, OUTSIDE_CANARY])?;
                if parsed.is_err() && e.code != FsErrorCode::InvalidPath {
                    return Err(format!(
                        "the parser refuses the path, the fs said {}",
                        e.code.as_str()
                    ));
                }
                Ok(Outcome::Rejected(e.code.as_str()))
            }
        }
    }
}

/// The parser's properties; `Ok(Err(()))` when it refuses the path.
fn parse(raw: &str) -> Result<Result<GuestPath, ()>, Violation> {
    match GuestPath::parse(raw, MAX_PATH_BYTES) {
        Ok(p) => {
            let mut joined = p.mount().to_owned();
            for s in p.segments() {
                joined.push('/');
                joined.push_str(s);
            }
            if joined != raw {
                return Err("an accepted path has another spelling".into());
            }
            for s in std::iter::once(p.mount()).chain(p.segments().iter().map(String::as_str)) {
                if matches!(s, "" | "." | "..") || s.starts_with(TEMP_PREFIX) {
                    return Err("an accepted path has an empty, dot or reserved segment".into());
                }
                if s.len() > MAX_SEGMENT_BYTES
                    || s.contains(['/', '\\'])
                    || s.chars().any(char::is_control)
                {
                    return Err("an accepted segment is too long or holds a separator".into());
                }
            }
            Ok(Ok(p))
        }
        Err(e) => {
            if e.code != FsErrorCode::InvalidPath {
                return Err(format!("the parser refused with {}", e.code.as_str()));
            }
            if raw.len() > 8 && e.message.contains(raw) {
                return Err("the parser's refusal echoes the input".into());
            }
            Ok(Err(()))
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sandbox's own spellings: plain paths are read, every way out
    /// is refused, and each outcome is what the properties expect.
    #[test]
    fn the_sandbox_reads_inside_and_refuses_the_links_out() {
        let mut checker = PathChecker::new();
        let run = |c: &mut PathChecker, op: u8, path: &str| {
            let mut input = vec![op];
            input.extend_from_slice(path.as_bytes());
            c.check(&input).unwrap_or_else(|v| panic!("{path}: {v}"))
        };
        assert!(matches!(run(&mut checker, 0, "m/a.txt"), Outcome::Accepted));
        assert!(matches!(run(&mut checker, 1, "m/docs"), Outcome::Accepted));
        assert!(matches!(
            run(&mut checker, 2, "m/docs/b.md"),
            Outcome::Accepted
        ));
        for (op, path) in [
            (0, "m/link-file"),
            (1, "m/link-dir"),
            (0, "m/link-dir/outside-secret.txt"),
            (0, "m/docs/up/a.txt"),
            (0, "m/../outside/outside-secret.txt"),
            (0, "m/%2e%2e/outside/outside-secret.txt"),
            (0, "/etc/passwd"),
            (0, ""),
        ] {
            assert!(
                matches!(run(&mut checker, op, path), Outcome::Rejected(_)),
                "{path}"
            );
        }
    }

    /// `conformance/fuzz/corpus/path/`: `valid-*` seeds are accepted, every
    /// other seed is refused with a clean error.
    #[test]
    fn every_path_seed_behaves_as_named() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/path");
        let mut checker = PathChecker::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let outcome = checker
                .check(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|v| panic!("{name}: {v}"));
            let accepted = matches!(outcome, Outcome::Accepted);
            assert_eq!(accepted, name.starts_with("valid-"), "{name}");
            seen += 1;
        }
        assert!(seen >= 20, "{seen} seeds");
    }
}
