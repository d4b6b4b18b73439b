//! The runtime host's local policy: which mounts exist on this host and
//! where they live, the most each mount may allow, and which declaration
//! kinds and capabilities this runtime provides.
//!
//! Host-local and never part of a bundle: a bundle only *requests* mounts
//! by name ([`GrantRequest`]); this policy maps names to directories and
//! caps operations. The effective grant is `request ∩ policy`
//! ([`HostPolicy::effective_grants`]).
//!
//! The file is TOML (like `plugin.toml`); unknown keys are refused:
//!
//! ```toml
//! [runtime]
//! secrets = false      # can resolve `secret:` references
//! network = false      # provides `network:` policies
//! shell = false        # provides `shell:`
//! git = false          # provides `git:`
//! capabilities = ["capability:fs"]   # capabilities a profile may need
//!
//! [mounts.notes]
//! dir = "/srv/notes"             # absolute; never shown to guests or in errors
//! ops = ["read", "list"]         # the most this host allows on the mount
//! include = ["journal/**"]       # optional
//! exclude = ["**/*.key"]         # optional
//! bounds = { read_bytes = 65536 } # optional, capped at host maxima
//! ```
//!
//! Network grants and secret sources are the `[network.<name>]` and
//! `[secrets.<name>]` tables (`policy/network.rs`).
//!
//! Everything absent is denied: no `[runtime]` flag means the kind is not
//! supported, no `capabilities` means none is allowed, no mount means no
//! directory.
//!
//! # Intersection rules
//!
//! - mount: a request for a mount the policy does not define is
//!   `mount-not-available`;
//! - ops: requested ops the host does not allow are dropped; if none
//!   remains the request is `capability-denied`;
//! - exclude: host excludes plus request excludes;
//! - include: if only one side has includes, those apply; if both do, each
//!   pair (host pattern, request pattern) contributes the narrower pattern
//!   when one provably covers the other (equal, `**`, a literal `dir/**`
//!   prefix, or a literal path the other matches) and nothing otherwise —
//!   an under-approximation that never widens. If no pair contributes, the
//!   request is `capability-denied` (an empty include list would mean
//!   "everything");
//! - bounds: the host's overrides, each capped at the host maxima
//!   (requests carry no bounds);
//! - dir: always the policy's; a request never names a directory.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

mod limits;
mod network;
pub use limits::{MAX_CONCURRENT_CALLS, MAX_QUEUED_CALLS};
pub use network::{InjectPolicy, NetworkPolicy, SecretPolicy};

use crate::bundle::rules::{self, Rejection};
use crate::bundle::{BundleError, Declaration, DeclarationKind, GrantRequest, validate_reference};
use crate::diag::scrub_parser_message;
use crate::grant::{GrantSpec, Operation};
use crate::limits::{BoundOverrides, CallLimits, FsBounds};

/// Largest policy file accepted, in bytes.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// Why a policy could not be loaded, or why a request is refused by it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The policy file cannot be read (only the I/O error kind is kept).
    #[error("the host policy file cannot be read ({0})")]
    Io(std::io::ErrorKind),
    /// The policy file is above [`MAX_POLICY_BYTES`].
    #[error("the host policy file is above its bound of {max} bytes")]
    TooLarge {
        /// The bound.
        max: u64,
    },
    /// The TOML is malformed or does not fit the schema.
    #[error("invalid host policy{}: {message}", location(*line, field.as_deref()))]
    Parse {
        /// 1-based line of the error, when known.
        line: Option<usize>,
        /// Dotted key of the offending field, when known.
        field: Option<String>,
        /// What is wrong (values scrubbed).
        message: String,
    },
    /// A mount name breaks the mount-name rule.
    #[error("invalid mount name at 'mounts' ({0})")]
    InvalidMount(&'static str),
    /// A mount's `dir` is not an absolute, normal path.
    #[error("'mounts.{mount}.dir' must be an absolute path without '..'")]
    InvalidDir {
        /// The mount.
        mount: String,
    },
    /// A mount allows no operation.
    #[error("'mounts.{mount}.ops' allows no operation")]
    NoOperations {
        /// The mount.
        mount: String,
    },
    /// An include/exclude pattern is refused.
    #[error("'mounts.{mount}.{field}': {reason}")]
    InvalidPattern {
        /// The mount.
        mount: String,
        /// `include[i]` or `exclude[i]`.
        field: String,
        /// Which rule it broke.
        reason: String,
    },
    /// A capability in `runtime.capabilities` is not a valid reference.
    #[error("'runtime.capabilities[{index}]': {source}")]
    InvalidCapability {
        /// Position in the list.
        index: usize,
        /// Why.
        source: BundleError,
    },
    /// A grant request is malformed.
    #[error("invalid grant request: {0}")]
    InvalidRequest(BundleError),
    /// Two requests name the same mount.
    #[error("mount '{0}' is requested twice")]
    DuplicateRequest(String),
    /// The requested mount is not defined by this host.
    #[error("mount '{0}' is not available on this runtime host")]
    UnknownMount(String),
    /// The request and the policy have nothing in common.
    #[error("{subject} is denied by the host policy: {reason}")]
    CapabilityDenied {
        /// What was asked for (`mount 'notes'`, `capability:x`).
        subject: String,
        /// Why.
        reason: &'static str,
    },
    /// The bundle declares a kind this runtime does not provide.
    #[error("this runtime host does not provide '{0}' declarations")]
    UnsupportedDeclaration(DeclarationKind),
    /// A `[network]` or `[secrets]` entry is malformed.
    #[error("'{field}': {reason}")]
    InvalidNetwork {
        /// The offending field.
        field: String,
        /// What is wrong (never a secret value or a path).
        reason: String,
    },
    /// A `network:` reference names no `[network]` entry.
    #[error("network '{0}' is not available on this runtime host")]
    UnknownNetwork(String),
    /// A network grant could not be built (its secrets resolve now).
    #[error("{0}")]
    Network(crate::net::NetGrantError),
    /// A limit in `[limits]` or `[runtime]` is out of range.
    #[error("'{field}': {reason}")]
    InvalidLimit {
        /// The field.
        field: &'static str,
        /// The allowed range.
        reason: &'static str,
    },
}

fn location(line: Option<usize>, field: Option<&str>) -> String {
    match (line, field) {
        (Some(l), Some(f)) => format!(" (line {l}, field '{f}')"),
        (Some(l), None) => format!(" (line {l})"),
        (None, Some(f)) => format!(" (field '{f}')"),
        (None, None) => String::new(),
    }
}

impl crate::error::ErrorCode for PolicyError {
    fn code(&self) -> &'static str {
        match self {
            PolicyError::Io(_) => "policy-unreadable",
            PolicyError::TooLarge { .. } => "policy-too-large",
            PolicyError::Parse { .. } => "policy-parse",
            PolicyError::InvalidMount(_) => "invalid-mount",
            PolicyError::InvalidDir { .. } => "invalid-dir",
            PolicyError::NoOperations { .. } => "no-operations",
            PolicyError::InvalidPattern { .. } => "invalid-pattern",
            PolicyError::InvalidCapability { .. } => "invalid-capability",
            PolicyError::InvalidRequest(e) => e.code(),
            PolicyError::DuplicateRequest(_) => "duplicate-mount",
            PolicyError::UnknownMount(_) => "mount-not-available",
            PolicyError::CapabilityDenied { .. } => "capability-denied",
            PolicyError::UnsupportedDeclaration(_) => "unsupported-declaration",
            PolicyError::InvalidLimit { .. } => "invalid-limit",
            PolicyError::InvalidNetwork { .. } => "invalid-network",
            PolicyError::UnknownNetwork(_) => "network-not-available",
            PolicyError::Network(e) => e.code(),
        }
    }
}

/// The runtime host's local policy (module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostPolicy {
    /// Which declaration kinds and capabilities this runtime provides.
    #[serde(default)]
    pub runtime: RuntimePolicy,
    /// Mounts by name.
    #[serde(default)]
    pub mounts: BTreeMap<String, MountPolicy>,
    /// Profiles this runtime host defines itself (`builtin NAME`
    /// selectors; `default` is the runtime default). They work without a
    /// synced bundle.
    #[serde(default)]
    pub profiles: BTreeMap<String, crate::bundle::Profile>,
    /// The `[limits]` table: the limits of every call this runtime serves,
    /// and the ceiling no caller can exceed (fields as in
    /// [`CallLimits`], times in milliseconds; a field left out takes the
    /// per-call default). Without it, calls get [`CallLimits::default`]
    /// under the ceiling [`CallLimits::ceiling`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<CallLimits>,
    /// Named network grants (`[network.<name>]`), enabled by bundles as
    /// `network:<name>` (`policy/network.rs`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub network: BTreeMap<String, NetworkPolicy>,
    /// Where each secret lives on this host (`[secrets.<name>]`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, SecretPolicy>,
}

/// The `[runtime]` table: what this runtime host provides. All off by
/// default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimePolicy {
    /// Can resolve `secret:` references.
    #[serde(default)]
    pub secrets: bool,
    /// Provides `network:` policies.
    #[serde(default)]
    pub network: bool,
    /// Provides `shell:`.
    #[serde(default)]
    pub shell: bool,
    /// Provides `git:`.
    #[serde(default)]
    pub git: bool,
    /// Capability references (`capability:<name>`) profiles may need.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Most workers the runtime keeps at once (default
    /// [`DEFAULT_MAX_WORKERS`]); creating one more is `worker-limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_workers: Option<usize>,
    /// Tool calls running at once (default
    /// [`crate::limits::DEFAULT_MAX_CONCURRENT_CALLS`]); the
    /// instance pool is sized to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_calls: Option<usize>,
    /// Tool calls waiting for a slot (default
    /// [`crate::limits::DEFAULT_MAX_QUEUED_CALLS`]); past it a call
    /// is refused with `busy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queued_calls: Option<usize>,
}

/// Default cap on the number of workers of one runtime.
pub const DEFAULT_MAX_WORKERS: usize = 1024;

impl RuntimePolicy {
    /// The worker cap in force.
    pub fn max_workers(&self) -> usize {
        self.max_workers.unwrap_or(DEFAULT_MAX_WORKERS)
    }

    /// The concurrency cap in force.
    pub fn max_concurrent_calls(&self) -> usize {
        self.max_concurrent_calls
            .unwrap_or(crate::limits::DEFAULT_MAX_CONCURRENT_CALLS)
    }

    /// The queue bound in force.
    pub fn max_queued_calls(&self) -> usize {
        self.max_queued_calls
            .unwrap_or(crate::limits::DEFAULT_MAX_QUEUED_CALLS)
    }
}

/// One `[mounts.<name>]` table: the directory and the most it may allow.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountPolicy {
    /// The host directory (absolute). Never shown to guests or in errors.
    pub dir: PathBuf,
    /// The most operations this host allows on the mount.
    pub ops: Vec<Operation>,
    /// Include globs every grant of this mount keeps.
    #[serde(default)]
    pub include: Vec<String>,
    /// Exclude globs every grant of this mount keeps.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Bound overrides, capped at host maxima.
    #[serde(default)]
    pub bounds: BoundOverrides,
}

impl fmt::Debug for MountPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MountPolicy")
            .field("dir", &"<host-local>")
            .field("ops", &self.ops)
            .field("include", &self.include)
            .field("exclude", &self.exclude)
            .field("bounds", &self.bounds)
            .finish()
    }
}

impl HostPolicy {
    /// Reads, parses and validates the policy file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<HostPolicy, PolicyError> {
        let file = std::fs::File::open(path).map_err(|e| PolicyError::Io(e.kind()))?;
        let mut text = String::new();
        file.take(MAX_POLICY_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| PolicyError::Io(e.kind()))?;
        if text.len() as u64 > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge {
                max: MAX_POLICY_BYTES,
            });
        }
        HostPolicy::from_toml_str(&text)
    }

    /// Parses and validates policy TOML.
    pub fn from_toml_str(text: &str) -> Result<HostPolicy, PolicyError> {
        let policy: HostPolicy = toml::from_str(text).map_err(|e| parse_error(text, &e))?;
        policy.validate()?;
        Ok(policy)
    }

    /// The limits of every call this runtime serves.
    pub fn call_limits(&self) -> CallLimits {
        self.limits.clone().unwrap_or_default()
    }

    /// The most any call may ask for: the `[limits]` table when present.
    pub fn ceiling(&self) -> CallLimits {
        self.limits.clone().unwrap_or_else(CallLimits::ceiling)
    }

    /// Checks mount names, directories, operations, patterns, capability
    /// references and the limits.
    pub fn validate(&self) -> Result<(), PolicyError> {
        limits::validate(self)?;
        self.validate_network()?;
        for (name, mount) in &self.mounts {
            rules::mount_name(name).map_err(|r| {
                PolicyError::InvalidMount(match r {
                    Rejection::Invalid(reason) => reason,
                    Rejection::PathLike => "looks like a path",
                    Rejection::SecretLike => "looks like a secret value",
                })
            })?;
            let normal = mount.dir.is_absolute()
                && !mount
                    .dir
                    .components()
                    .any(|c| matches!(c, Component::ParentDir | Component::CurDir));
            if !normal {
                return Err(PolicyError::InvalidDir {
                    mount: name.clone(),
                });
            }
            if mount.ops.is_empty() {
                return Err(PolicyError::NoOperations {
                    mount: name.clone(),
                });
            }
            for (list, patterns) in [("include", &mount.include), ("exclude", &mount.exclude)] {
                for (i, p) in patterns.iter().enumerate() {
                    rules::pattern(p).map_err(|r| PolicyError::InvalidPattern {
                        mount: name.clone(),
                        field: format!("{list}[{i}]"),
                        reason: r.to_string(),
                    })?;
                }
            }
        }
        for (index, cap) in self.runtime.capabilities.iter().enumerate() {
            validate_reference(DeclarationKind::Capability, cap, "runtime.capabilities")
                .map_err(|source| PolicyError::InvalidCapability { index, source })?;
        }
        Ok(())
    }

    /// The policy of mount `name`, if defined.
    pub fn mount(&self, name: &str) -> Option<&MountPolicy> {
        self.mounts.get(name)
    }

    /// Whether this runtime provides declarations of `kind` at all.
    /// `mount` and `capability` are supported as kinds; whether a given
    /// mount or capability is provided is [`HostPolicy::check_declaration`].
    pub fn supports(&self, kind: DeclarationKind) -> bool {
        match kind {
            DeclarationKind::Secret => self.runtime.secrets,
            DeclarationKind::Network => self.runtime.network,
            DeclarationKind::Shell => self.runtime.shell,
            DeclarationKind::Git => self.runtime.git,
            DeclarationKind::Mount | DeclarationKind::Capability => true,
        }
    }

    /// Whether `capability` (a `capability:<name>` reference) is allowed.
    pub fn allows_capability(&self, capability: &str) -> bool {
        self.runtime.capabilities.iter().any(|c| c == capability)
    }

    /// Whether this runtime can satisfy `declaration`: its kind is
    /// supported, a declared mount is defined, a declared capability is
    /// allowed.
    pub fn check_declaration(&self, declaration: &Declaration) -> Result<(), PolicyError> {
        declaration
            .validate("declaration")
            .map_err(PolicyError::InvalidRequest)?;
        if !self.supports(declaration.kind) {
            return Err(PolicyError::UnsupportedDeclaration(declaration.kind));
        }
        let name = declaration.token().unwrap_or_default();
        match declaration.kind {
            DeclarationKind::Mount if self.mount(name).is_none() => {
                Err(PolicyError::UnknownMount(name.to_owned()))
            }
            DeclarationKind::Network if !self.network.contains_key(name) => {
                Err(PolicyError::UnknownNetwork(name.to_owned()))
            }
            DeclarationKind::Secret if !self.secrets.contains_key(name) => {
                Err(PolicyError::CapabilityDenied {
                    subject: declaration.reference.clone(),
                    reason: "the secret is not defined in [secrets]",
                })
            }
            DeclarationKind::Capability if !self.allows_capability(&declaration.reference) => {
                Err(PolicyError::CapabilityDenied {
                    subject: declaration.reference.clone(),
                    reason: "the capability is not in runtime.capabilities",
                })
            }
            _ => Ok(()),
        }
    }

    /// The effective grants for `requests`: each request intersected with
    /// this policy (module docs). Fails on the first request that is
    /// malformed, duplicated, for an unknown mount, or left with nothing.
    pub fn effective_grants(
        &self,
        requests: &[GrantRequest],
    ) -> Result<Vec<GrantSpec>, PolicyError> {
        let mut seen = BTreeSet::new();
        let mut specs = Vec::with_capacity(requests.len());
        for (i, request) in requests.iter().enumerate() {
            request
                .validate(&format!("grants[{i}]"))
                .map_err(PolicyError::InvalidRequest)?;
            if !seen.insert(request.mount.as_str()) {
                return Err(PolicyError::DuplicateRequest(request.mount.clone()));
            }
            specs.push(self.effective_grant(request)?);
        }
        Ok(specs)
    }

    fn effective_grant(&self, request: &GrantRequest) -> Result<GrantSpec, PolicyError> {
        let name = &request.mount;
        let host = self
            .mount(name)
            .ok_or_else(|| PolicyError::UnknownMount(name.clone()))?;
        let denied = |reason| PolicyError::CapabilityDenied {
            subject: format!("mount '{name}'"),
            reason,
        };
        let mut ops: Vec<Operation> = Vec::new();
        for op in &request.ops {
            if host.ops.contains(op) && !ops.contains(op) {
                ops.push(*op);
            } else if !host.ops.contains(op) {
                tracing::debug!(mount = %name, op = %op, "requested operation dropped by host policy");
            }
        }
        if ops.is_empty() {
            return Err(denied("the host allows none of the requested operations"));
        }
        let include = intersect_includes(&host.include, &request.include)
            .ok_or_else(|| denied("the include patterns of request and host do not overlap"))?;
        let mut exclude = host.exclude.clone();
        for p in &request.exclude {
            if !exclude.contains(p) {
                exclude.push(p.clone());
            }
        }
        let capped = FsBounds::HOST_MAX.lowered_by(&host.bounds);
        let bounds = BoundOverrides {
            read_bytes: Some(capped.read_bytes),
            write_bytes: Some(capped.write_bytes),
            list_entries: Some(capped.list_entries),
            dir_scan_entries: Some(capped.dir_scan_entries),
        };
        Ok(GrantSpec {
            mount: name.clone(),
            dir: host.dir.clone(),
            ops,
            include,
            exclude,
            bounds,
        })
    }
}

/// Intersects two include lists (module docs). `None` means nothing is
/// left (denied); an empty list means "no include restriction".
fn intersect_includes(host: &[String], request: &[String]) -> Option<Vec<String>> {
    if host.is_empty() {
        return Some(request.to_vec());
    }
    if request.is_empty() {
        return Some(host.to_vec());
    }
    let mut out: Vec<String> = Vec::new();
    for h in host {
        for r in request {
            let narrower = if covers(h, r) {
                Some(r)
            } else if covers(r, h) {
                Some(h)
            } else {
                None
            };
            if let Some(p) = narrower.filter(|p| !out.contains(p)) {
                out.push(p.clone());
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

fn is_literal(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

/// Whether every path `inner` matches is also matched by `outer` — true
/// only in the provable cases; `false` when unsure.
fn covers(outer: &str, inner: &str) -> bool {
    if outer == inner || outer == "**" {
        return true;
    }
    if let Some(prefix) = outer.strip_suffix("/**")
        && is_literal(prefix)
        && inner
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
    {
        return true;
    }
    is_literal(inner)
        && globset::GlobBuilder::new(outer)
            .literal_separator(true)
            .build()
            .is_ok_and(|g| g.compile_matcher().is_match(inner))
}

/// A [`PolicyError::Parse`] naming the line and, when it can be read off
/// the line, the dotted key of the field.
fn parse_error(text: &str, error: &toml::de::Error) -> PolicyError {
    let message = scrub_parser_message(error.message());
    let Some(span) = error.span() else {
        return PolicyError::Parse {
            line: None,
            field: None,
            message,
        };
    };
    let start = span.start.min(text.len());
    let before = text.get(..start).unwrap_or_default();
    let line_index = before.matches('\n').count();
    let mut table = String::new();
    let mut field = None;
    for (i, line) in text.lines().enumerate().take(line_index + 1) {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            table = header
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            if i == line_index {
                field = Some(table.clone());
            }
        } else if i == line_index
            && let Some((key, _)) = line.split_once('=')
        {
            let key = key.trim();
            field = Some(if table.is_empty() {
                key.to_owned()
            } else {
                format!("{table}.{key}")
            });
        }
    }
    let field = field.filter(|f| {
        !f.is_empty()
            && f.len() <= 96
            && f.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-\"' ".contains(&b))
    });
    PolicyError::Parse {
        line: Some(line_index + 1),
        field,
        message,
    }
}

#[cfg(test)]
mod tests;
