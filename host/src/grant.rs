//! Grants: the only source of filesystem authority a plugin has.
//!
//! A [`GrantSpec`] is plain data (what a policy file or an enablement says):
//! a mount name the guest sees, the host directory behind it, the operations
//! allowed, optional include/exclude patterns and optional bound overrides.
//! [`GrantSpec::open`] turns it into a [`Grant`], which holds an open
//! directory handle — the capability. From then on nothing re-resolves the
//! host path; every fs operation is relative to that handle.
//!
//! A [`GrantSet`] binds grants to one plugin identity (id + exact version +
//! digest). No grant ⇒ denied; there is no inheritance from a worker, a
//! workspace or the host process.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use globset::{GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::identity::PluginIdentity;
use crate::limits::{BoundOverrides, FsBounds};
use crate::names::{MountName, PatternError, check_pattern};
use crate::net::NetGrants;

/// An fs operation a grant can allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Read file content.
    Read,
    /// List directory entries.
    List,
    /// Create or replace files.
    Write,
    /// Read metadata.
    Stat,
}

impl Operation {
    /// Every operation, in a stable order.
    pub const ALL: [Operation; 4] = [
        Operation::Read,
        Operation::List,
        Operation::Write,
        Operation::Stat,
    ];

    /// The stable name of the operation.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::List => "list",
            Operation::Write => "write",
            Operation::Stat => "stat",
        }
    }

    /// Parses a stable name (`read`, `list`, `write`, `stat`).
    pub fn parse(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.as_str() == name)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a grant could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// Mount names are 1–64 chars of `[a-z0-9._-]`, not starting with `.`.
    #[error("invalid mount name '{0}': use 1-64 of [a-z0-9._-], not starting with '.'")]
    InvalidMount(String),
    /// Two grants in one set use the same mount name.
    #[error("mount '{0}' is granted twice")]
    DuplicateMount(String),
    /// A grant must allow at least one operation.
    #[error("grant for mount '{0}' allows no operation")]
    NoOperations(String),
    /// An include/exclude pattern is not a valid glob.
    #[error("invalid path pattern '{pattern}' for mount '{mount}': {reason}")]
    InvalidPattern {
        /// The mount the pattern belongs to.
        mount: String,
        /// The offending pattern.
        pattern: String,
        /// Why the glob parser refused it.
        reason: String,
    },
    /// The host directory cannot be opened. The host path is deliberately
    /// not part of this error (it is host-local policy).
    #[error("the host directory for mount '{mount}' cannot be opened ({kind})")]
    OpenDir {
        /// The mount whose directory failed.
        mount: String,
        /// The I/O error kind.
        kind: std::io::ErrorKind,
    },
}

impl crate::error::ErrorCode for GrantError {
    fn code(&self) -> &'static str {
        match self {
            GrantError::InvalidMount(_) => "invalid-mount",
            GrantError::DuplicateMount(_) => "duplicate-mount",
            GrantError::NoOperations(_) => "no-operations",
            GrantError::InvalidPattern { .. } => "invalid-pattern",
            GrantError::OpenDir { .. } => "grant-dir-unavailable",
        }
    }
}

/// A grant as plain data: what a policy file, a CLI flag or an enablement
/// says. Host-local: `dir` is never shown to the guest.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSpec {
    /// The name the guest uses as the first path segment.
    pub mount: String,
    /// The host directory behind the mount.
    pub dir: PathBuf,
    /// Operations allowed.
    pub ops: Vec<Operation>,
    /// If non-empty, only paths (inside the mount) matching one of these
    /// globs are visible, e.g. `notes/**` or `todo.md`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Paths matching any of these globs are never visible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Per-mount bounds, capped by host maxima.
    #[serde(default)]
    pub bounds: BoundOverrides,
}

impl fmt::Debug for GrantSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantSpec")
            .field("mount", &self.mount)
            .field("dir", &"<host-local>")
            .field("ops", &self.ops)
            .field("include", &self.include)
            .field("exclude", &self.exclude)
            .field("bounds", &self.bounds)
            .finish()
    }
}

impl GrantSpec {
    /// A spec for `mount` backed by `dir`, allowing `ops`.
    pub fn new(mount: &str, dir: impl Into<PathBuf>, ops: &[Operation]) -> Self {
        GrantSpec {
            mount: mount.to_owned(),
            dir: dir.into(),
            ops: ops.to_vec(),
            include: Vec::new(),
            exclude: Vec::new(),
            bounds: BoundOverrides::default(),
        }
    }

    /// Adds an include pattern.
    pub fn include(mut self, pattern: &str) -> Self {
        self.include.push(pattern.to_owned());
        self
    }

    /// Adds an exclude pattern.
    pub fn exclude(mut self, pattern: &str) -> Self {
        self.exclude.push(pattern.to_owned());
        self
    }

    /// Sets bound overrides.
    pub fn bounds(mut self, bounds: BoundOverrides) -> Self {
        self.bounds = bounds;
        self
    }

    /// Validates the spec and opens the directory: the capability.
    pub fn open(&self) -> Result<Grant, GrantError> {
        let mount = validate_mount(&self.mount)?;
        if self.ops.is_empty() {
            return Err(GrantError::NoOperations(self.mount.clone()));
        }
        let policy = PathPolicy::new(&self.mount, &self.include, &self.exclude)?;
        let open_err = |e: std::io::Error| GrantError::OpenDir {
            mount: self.mount.clone(),
            kind: e.kind(),
        };
        let dir = Dir::open_ambient_dir(&self.dir, ambient_authority()).map_err(open_err)?;
        let lock_root = std::fs::canonicalize(&self.dir).map_err(open_err)?;
        let mut ops = self.ops.clone();
        ops.sort();
        ops.dedup();
        Ok(Grant {
            mount,
            dir: Arc::new(dir),
            lock_root: Arc::new(lock_root),
            ops,
            policy,
            bounds: FsBounds::HOST_MAX.lowered_by(&self.bounds),
        })
    }
}

/// Checks a mount name by the one rule, [`MountName`].
pub fn validate_mount(mount: &str) -> Result<MountName, GrantError> {
    MountName::parse(mount).map_err(|_| GrantError::InvalidMount(crate::diag::bound(mount, 64)))
}

/// An opened grant: a directory capability plus what may be done in it.
#[derive(Clone)]
pub struct Grant {
    mount: MountName,
    dir: Arc<Dir>,
    /// Canonical host root, used only as the lock-registry key prefix.
    lock_root: Arc<PathBuf>,
    ops: Vec<Operation>,
    policy: PathPolicy,
    bounds: FsBounds,
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant")
            .field("mount", &self.mount)
            .field("ops", &self.ops)
            .field("bounds", &self.bounds)
            .finish_non_exhaustive()
    }
}

impl Grant {
    /// The mount name.
    pub fn mount(&self) -> &str {
        self.mount.as_str()
    }

    /// The operations allowed, sorted.
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// Whether `op` is allowed on this mount.
    pub fn allows(&self, op: Operation) -> bool {
        self.ops.contains(&op)
    }

    /// The effective per-call bounds of this mount.
    pub fn bounds(&self) -> FsBounds {
        self.bounds
    }

    /// The path-pattern policy.
    pub fn policy(&self) -> &PathPolicy {
        &self.policy
    }

    pub(crate) fn dir(&self) -> &Dir {
        &self.dir
    }

    pub(crate) fn lock_key(&self, inner: &str) -> PathBuf {
        self.lock_root.join(inner)
    }
}

/// Include/exclude glob policy over paths inside a mount.
///
/// A file is visible when it matches an include pattern (or there are none)
/// and matches no exclude pattern. A directory is visible when it is not
/// excluded and could contain a visible file: it matches an include pattern,
/// or lies on the literal prefix of one (`notes` for `notes/**`).
#[derive(Clone, Default)]
pub struct PathPolicy {
    include: Option<GlobSet>,
    /// Literal leading segments of each include pattern, and whether a
    /// glob follows them.
    include_prefixes: Vec<(Vec<String>, bool)>,
    exclude: Option<GlobSet>,
}

impl fmt::Debug for PathPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PathPolicy")
            .field("include", &self.include_prefixes)
            .finish_non_exhaustive()
    }
}

impl PathPolicy {
    fn new(mount: &str, include: &[String], exclude: &[String]) -> Result<Self, GrantError> {
        let build = |patterns: &[String]| -> Result<Option<GlobSet>, GrantError> {
            if patterns.is_empty() {
                return Ok(None);
            }
            let mut builder = GlobSetBuilder::new();
            for pattern in patterns {
                // The one pattern rule (shared with policies and bundles):
                // a pattern that can never match an inner path (leading
                // `/`, trailing `/`, `.`/`..`/empty segments) would exclude
                // or include nothing, silently; it is refused instead.
                check_pattern(pattern).map_err(|e| GrantError::InvalidPattern {
                    mount: mount.to_owned(),
                    pattern: match e {
                        PatternError::SecretLike => "<redacted>".to_owned(),
                        _ => crate::diag::bound(pattern, 64),
                    },
                    reason: e.to_string(),
                })?;
                let glob = globset::GlobBuilder::new(pattern)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| GrantError::InvalidPattern {
                        mount: mount.to_owned(),
                        pattern: pattern.clone(),
                        reason: e.kind().to_string(),
                    })?;
                builder.add(glob);
            }
            builder
                .build()
                .map(Some)
                .map_err(|e| GrantError::InvalidPattern {
                    mount: mount.to_owned(),
                    pattern: patterns.join(","),
                    reason: e.to_string(),
                })
        };
        let include_prefixes = include
            .iter()
            .map(|p| {
                let literal: Vec<String> = p
                    .split('/')
                    .take_while(|s| !s.contains(['*', '?', '[', '{']))
                    .map(str::to_owned)
                    .collect();
                let glob_tail = literal.len() < p.split('/').count();
                (literal, glob_tail)
            })
            .collect();
        // An excluded subtree does not exist for the guest (not listed, not
        // stat-able): a pattern covering everything below a directory
        // excludes the directory too, so `dir`, `dir/**`, `dir/*` and
        // `dir/**/*` mean the same.
        let roots = exclude.iter().map(String::as_str).filter_map(subtree_root);
        let exclude: Vec<String> = exclude.iter().cloned().chain(roots).collect();
        Ok(PathPolicy {
            include: build(include)?,
            include_prefixes,
            exclude: build(&exclude)?,
        })
    }

    /// Whether the policy restricts anything at all.
    pub fn is_unrestricted(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }

    /// Whether the file at `inner` (path inside the mount) is visible.
    pub fn file_visible(&self, inner: &str) -> bool {
        if self.excluded(inner) {
            return false;
        }
        self.include.as_ref().is_none_or(|set| set.is_match(inner))
    }

    /// Whether the directory at `inner` (`""` = mount root) is visible.
    pub fn dir_visible(&self, inner: &str) -> bool {
        if !inner.is_empty() && self.excluded(inner) {
            return false;
        }
        let Some(set) = &self.include else {
            return true;
        };
        if inner.is_empty() || set.is_match(inner) {
            return true;
        }
        let segments: Vec<&str> = inner.split('/').collect();
        self.include_prefixes.iter().any(|(prefix, glob_tail)| {
            let n = prefix.len().min(segments.len());
            let shared = prefix[..n].iter().zip(&segments[..n]).all(|(a, b)| a == b);
            // On the way to the pattern, or inside its glob part.
            shared && (segments.len() <= prefix.len() || *glob_tail)
        })
    }

    fn excluded(&self, inner: &str) -> bool {
        self.exclude.as_ref().is_some_and(|set| {
            // A path is excluded if it or any of its ancestors is.
            let mut prefix = String::new();
            inner.split('/').any(|segment| {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(segment);
                set.is_match(&prefix)
            })
        })
    }
}

/// The directory whose whole subtree `pattern` covers: the pattern minus
/// trailing segments that are all `*` or `**` (`private` for `private/**`,
/// `private/*` or `private/**/*`); `None` if there is no such directory.
fn subtree_root(pattern: &str) -> Option<String> {
    let segments: Vec<&str> = pattern.split('/').collect();
    let keep = segments
        .iter()
        .rposition(|s| !matches!(*s, "*" | "**"))
        .map_or(0, |i| i + 1);
    (keep > 0 && keep < segments.len()).then(|| segments[..keep].join("/"))
}

/// The grants of one plugin, bound to its exact identity.
#[derive(Debug, Clone)]
pub struct GrantSet {
    plugin: PluginIdentity,
    grants: BTreeMap<String, Grant>,
    network: Arc<NetGrants>,
}

impl GrantSet {
    /// An empty set (everything denied) for `plugin`.
    pub fn new(plugin: PluginIdentity) -> Self {
        GrantSet {
            plugin,
            grants: BTreeMap::new(),
            network: Arc::default(),
        }
    }

    /// The same set with these network grants (`net`); none by default.
    pub fn with_network(mut self, network: NetGrants) -> Self {
        self.network = Arc::new(network);
        self
    }

    /// The network grants.
    pub fn network(&self) -> &Arc<NetGrants> {
        &self.network
    }

    /// Opens every spec and builds the set.
    pub fn open(plugin: PluginIdentity, specs: &[GrantSpec]) -> Result<Self, GrantError> {
        let mut set = GrantSet::new(plugin);
        for spec in specs {
            set.insert(spec.open()?)?;
        }
        Ok(set)
    }

    /// Adds one opened grant; mount names must be unique.
    pub fn insert(&mut self, grant: Grant) -> Result<(), GrantError> {
        if self.grants.contains_key(grant.mount()) {
            return Err(GrantError::DuplicateMount(grant.mount().to_owned()));
        }
        self.grants.insert(grant.mount().to_owned(), grant);
        Ok(())
    }

    /// The plugin these grants belong to.
    pub fn plugin(&self) -> &PluginIdentity {
        &self.plugin
    }

    /// The grant for `mount`, if any.
    pub fn get(&self, mount: &str) -> Option<&Grant> {
        self.grants.get(mount)
    }

    /// All grants, by mount name.
    pub fn iter(&self) -> impl Iterator<Item = &Grant> {
        self.grants.values()
    }

    /// Whether nothing is granted (no mount, no network).
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty() && self.network.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(include: &[&str], exclude: &[&str]) -> PathPolicy {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        PathPolicy::new("m", &s(include), &s(exclude)).unwrap()
    }

    #[test]
    fn include_subtree() {
        let p = policy(&["notes/**"], &[]);
        assert!(p.file_visible("notes/a.md"));
        assert!(p.file_visible("notes/x/y.md"));
        assert!(!p.file_visible("secret.txt"));
        assert!(!p.file_visible("notesx/a.md"));
        assert!(p.dir_visible(""));
        assert!(p.dir_visible("notes"));
        assert!(p.dir_visible("notes/x"));
        assert!(!p.dir_visible("other"));
        let p = policy(&["**/*.md"], &[]);
        assert!(p.dir_visible("any/depth"));
        assert!(!p.file_visible("a.txt"));
    }

    #[test]
    fn include_single_file_and_exclude() {
        let p = policy(&["todo.md"], &[]);
        assert!(p.file_visible("todo.md"));
        assert!(!p.file_visible("todo.md.bak"));
        assert!(!p.dir_visible("sub"));
        let p = policy(&[], &["**/*.key", "private"]);
        assert!(!p.file_visible("a/b.key"));
        assert!(!p.file_visible("private/x.txt"));
        assert!(!p.dir_visible("private"));
        assert!(p.file_visible("a/b.txt"));
        // Both spellings agree: the excluded directory does not exist.
        let p = policy(&[], &["private/**"]);
        assert!(!p.dir_visible("private"));
        assert!(!p.file_visible("private"));
        assert!(!p.file_visible("private/x.txt"));
        assert!(!p.dir_visible("private/sub"));
        assert!(p.dir_visible("privateer"));
        // Every spelling of "the whole subtree" hides the directory too.
        for pattern in ["private/*", "private/**/*", "**/private/**"] {
            let p = policy(&[], &[pattern]);
            assert!(!p.dir_visible("private"), "{pattern}");
            assert!(!p.file_visible("private/x/y"), "{pattern}");
            assert!(p.dir_visible("privateer"), "{pattern}");
        }
        // A narrower pattern leaves the directory visible.
        let p = policy(&[], &["private/*.txt"]);
        assert!(p.dir_visible("private"));
        assert!(!p.file_visible("private/a.txt"));
        assert!(p.file_visible("private/a.md"));
    }

    #[test]
    fn patterns_that_match_nothing_are_refused() {
        // Each of these would exclude nothing (fail open) or include
        // nothing: refused when the grant is built.
        for bad in [
            "private/",
            "/private",
            "./private",
            "a//b",
            "a/../b",
            "a/.",
            "",
        ] {
            for (include, exclude) in [
                (vec![bad.to_owned()], vec![]),
                (vec![], vec![bad.to_owned()]),
            ] {
                assert!(
                    matches!(
                        PathPolicy::new("m", &include, &exclude),
                        Err(GrantError::InvalidPattern { .. })
                    ),
                    "{bad:?}"
                );
            }
        }
        assert_eq!(subtree_root("a/b/**/*"), Some("a/b".to_owned()));
        assert_eq!(subtree_root("**"), None);
        assert_eq!(subtree_root("*.key"), None);
        assert_eq!(subtree_root("a/*.md"), None);
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(matches!(
            GrantSpec::new("../x", "/tmp", &[Operation::Read]).open(),
            Err(GrantError::InvalidMount(_))
        ));
        assert!(matches!(
            GrantSpec::new("m", "/tmp", &[]).open(),
            Err(GrantError::NoOperations(_))
        ));
        assert!(matches!(
            GrantSpec::new("m", "/tmp", &[Operation::Read])
                .include("a/[")
                .open(),
            Err(GrantError::InvalidPattern { .. })
        ));
        let missing = GrantSpec::new("m", "/nonexistent/yoi/dir", &[Operation::Read]).open();
        let err = missing.unwrap_err().to_string();
        assert!(!err.contains("/nonexistent"), "{err}");
    }
}
